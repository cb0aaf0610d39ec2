using Ledger.Api.Holds;
using Ledger.Domain;

namespace Ledger.Api.Hosting;

/// <summary>What the handlers need, bundled (eShop's [AsParameters] habit, as one singleton).</summary>
public sealed class LedgerServices(Ledger.EventStore.EventStore store, CurrencyCatalog currencies)
{
    public Ledger.EventStore.EventStore Store => store;

    public CurrencyCatalog Currencies => currencies;

    /// <summary>Connections by stream version, for the group path's reads (GroupReads).</summary>
    public ConnectionCache ConnectionCache { get; } = new();

    /// <summary>What this node's groups last committed, for groups of one round trip.</summary>
    public GroupCache GroupCache { get; } = new();
}
