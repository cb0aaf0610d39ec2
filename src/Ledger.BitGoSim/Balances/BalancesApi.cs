using System.Globalization;
using System.Numerics;
using Ledger.BitGoSim.Connections;
using Ledger.BitGoSim.Hosting;
using Ledger.BitGoSim.Transfers;

namespace Ledger.BitGoSim.Balances;

/// <summary>One currency as BitGo shows it: integer strings in base units.</summary>
public sealed record HeldBalance(string Available, string Held);

public sealed record NetworkBalance(
    Guid ClientId,
    Guid PartnerId,
    string PartnersConnectionId,
    IReadOnlyDictionary<string, HeldBalance> Balances
);

/// <summary>BitGo's balance answer (contract, "Balances as BitGo shows them").</summary>
public sealed record BalancesView(
    IReadOnlyDictionary<string, HeldBalance> Balances,
    IReadOnlyDictionary<string, NetworkBalance> NetworkBalances
);

/// <summary>
/// GET /api/network/v1/enterprises/{enterpriseId}/clients/balances: BitGo's own view of what
/// the enterprise holds at the partner, folded from its transfers, so that the ledger's
/// reconciliation can be checked against it. Once every transfer is settled, available equals
/// the ledger's available and held equals its reserved plus pending credit.
/// </summary>
public static class BalancesApi
{
    public static RouteGroupBuilder MapBalances(this RouteGroupBuilder enterprise)
    {
        enterprise.MapGet(
            "/clients/balances",
            (string enterpriseId, SimStore store) =>
                Results.Json(Of(store, enterpriseId), SimJson.Options)
        );
        return enterprise;
    }

    public static BalancesView Of(SimStore store, string enterpriseId)
    {
        var perConnection = new SortedDictionary<Guid, SortedDictionary<string, Sums>>();
        foreach (TransferRecord t in store.TransfersOf(enterpriseId))
        {
            (BigInteger available, BigInteger held) = Effect(
                t.Kind,
                t.State.Status,
                t.Request.Amount.Quantity.Value
            );
            SortedDictionary<string, Sums> sums = Get(perConnection, t.Connection.Id);
            string currency = t.Request.Amount.Currency.Code;
            sums[currency] = sums.GetValueOrDefault(currency, Sums.Zero).Plus(available, held);
        }
        var totals = new SortedDictionary<string, Sums>(StringComparer.Ordinal);
        var network = new SortedDictionary<string, NetworkBalance>(StringComparer.Ordinal);
        foreach (ConnectionRecord c in store.ConnectionsOf(enterpriseId).Where(c => c.State.Active))
        {
            SortedDictionary<string, Sums> sums = Get(perConnection, c.Id);
            foreach ((string currency, Sums s) in sums)
            {
                totals[currency] = totals
                    .GetValueOrDefault(currency, Sums.Zero)
                    .Plus(s.Available, s.Held);
            }
            network.Add(
                c.Id.ToString(),
                new NetworkBalance(
                    c.Enterprise.ClientId,
                    c.PartnerId,
                    c.State.PartnersConnectionId!,
                    Freeze(sums)
                )
            );
        }
        return new BalancesView(Freeze(totals), network);
    }

    /// <summary>
    /// What one transfer adds to BitGo's view. An unconfirmed deallocation is held but not yet
    /// taken from available, because BitGo does not know whether the partner holds it; so the
    /// view can never show less than the partner really holds. A negative available would mean
    /// the partner reserved more than it had: it is shown, never hidden.
    /// </summary>
    private static (BigInteger Available, BigInteger Held) Effect(
        TransferKind kind,
        TransferStatus status,
        BigInteger quantity
    ) =>
        (kind == TransferKind.Allocation, status) switch
        {
            (true, TransferStatus.Requested or TransferStatus.Reserved) => (0, quantity),
            (true, TransferStatus.Cleared) => (quantity, 0),
            (false, TransferStatus.Requested) => (0, quantity),
            (false, TransferStatus.Reserved) => (-quantity, quantity),
            (false, TransferStatus.Cleared) => (-quantity, 0),
            _ => (0, 0),
        };

    private static SortedDictionary<string, Sums> Get(
        SortedDictionary<Guid, SortedDictionary<string, Sums>> map,
        Guid connectionId
    )
    {
        if (!map.TryGetValue(connectionId, out SortedDictionary<string, Sums>? sums))
        {
            sums = new SortedDictionary<string, Sums>(StringComparer.Ordinal);
            map.Add(connectionId, sums);
        }
        return sums;
    }

    private static IReadOnlyDictionary<string, HeldBalance> Freeze(
        SortedDictionary<string, Sums> sums
    ) =>
        new SortedDictionary<string, HeldBalance>(
            sums.ToDictionary(
                e => e.Key,
                e => new HeldBalance(
                    e.Value.Available.ToString(CultureInfo.InvariantCulture),
                    e.Value.Held.ToString(CultureInfo.InvariantCulture)
                )
            ),
            StringComparer.Ordinal
        );

    private sealed record Sums(BigInteger Available, BigInteger Held)
    {
        public static Sums Zero { get; } = new(BigInteger.Zero, BigInteger.Zero);

        public Sums Plus(BigInteger available, BigInteger held) =>
            new(Available + available, Held + held);
    }
}
