using Ledger.Api.Balances;
using Ledger.Domain;
using Ledger.Domain.Balances;
using Ledger.Domain.Connections;

namespace Ledger.Api.Auditors;

/// <summary>
/// A client's balances rebuilt from its events, in seq order, with the same table
/// (<see cref="BalanceEffects"/>) and the same never-negative check (<see cref="Balance.Apply"/>)
/// as the live projection, so a replay re-checks every invariant the write checked.
/// <para>
/// Connections come from their activation events, not from ledger.connections: a connection
/// activated after the moment asked about must not show, and its partner ids never change.
/// </para>
/// </summary>
public sealed class BalanceFold(Guid clientId)
{
    private readonly SortedDictionary<string, ConnectionState> _connections = new(
        StringComparer.Ordinal
    );

    /// <summary>Applies one event; returns its balance change, or null for none.</summary>
    public BalanceDelta? Apply(ClientEvent e)
    {
        if (e.Data is ConnectionActivated activated)
        {
            CheckClient(activated.ClientId, e);
            Connection(activated.ConnectionId).Activated = activated;
            return null;
        }
        if (BalanceEffects.Of(e.Data) is not { } delta)
        {
            return null;
        }
        CheckClient(delta.Key.ClientId, e);
        SortedDictionary<string, Balance> balances = Connection(delta.Key.ConnectionId).Balances;
        string currency = delta.Key.Currency.Code;
        balances[currency] = (balances.GetValueOrDefault(currency) ?? Balance.Empty).Apply(delta);
        return delta;
    }

    /// <summary>Each currency's balance summed over the client's connections.</summary>
    public SortedDictionary<string, Balance> Totals()
    {
        var totals = new SortedDictionary<string, Balance>(StringComparer.Ordinal);
        foreach (ConnectionState connection in _connections.Values)
        {
            foreach ((string currency, Balance balance) in connection.Balances)
            {
                totals[currency] = totals.TryGetValue(currency, out Balance? total)
                    ? Plus(total, balance)
                    : balance;
            }
        }
        return totals;
    }

    /// <summary>The live view's answer shape (<see cref="BalanceQueries"/>).</summary>
    public ClientBalances ToAnswer()
    {
        var network = new SortedDictionary<string, NetworkBalance>(StringComparer.Ordinal);
        foreach ((string connectionId, ConnectionState connection) in _connections)
        {
            network.Add(
                connectionId,
                new NetworkBalance(
                    clientId,
                    connection.Activated?.PartnerId,
                    connection.Activated?.PartnersConnectionId,
                    Parts(connection.Balances)
                )
            );
        }
        return new ClientBalances(clientId, Parts(Totals()), network);
    }

    public static BalanceParts Parts(Balance balance) =>
        new(
            balance.Available.ToString(),
            balance.Reserved.ToString(),
            balance.PendingCredit.ToString()
        );

    public static Balance Plus(Balance left, Balance right) =>
        new(
            left.Available + right.Available,
            left.Reserved + right.Reserved,
            left.PendingCredit + right.PendingCredit
        );

    private static SortedDictionary<string, BalanceParts> Parts(
        SortedDictionary<string, Balance> balances
    )
    {
        var parts = new SortedDictionary<string, BalanceParts>(StringComparer.Ordinal);
        foreach ((string currency, Balance balance) in balances)
        {
            parts.Add(currency, Parts(balance));
        }
        return parts;
    }

    private ConnectionState Connection(Guid connectionId)
    {
        string key = connectionId.ToString("D");
        if (!_connections.TryGetValue(key, out ConnectionState? connection))
        {
            connection = new ConnectionState();
            _connections.Add(key, connection);
        }
        return connection;
    }

    /// <summary>The query selected the event by data->>'clientId'; its key must agree.</summary>
    private void CheckClient(Guid eventClientId, ClientEvent e)
    {
        if (eventClientId != clientId)
        {
            throw new InvariantViolationException(
                $"event {e.Seq} was selected for client {clientId} "
                    + $"but names client {eventClientId}"
            );
        }
    }

    private sealed class ConnectionState
    {
        public ConnectionActivated? Activated { get; set; }

        public SortedDictionary<string, Balance> Balances { get; } = new(StringComparer.Ordinal);
    }
}
