using System.Numerics;
using Ledger.Api.Connections;
using Ledger.Domain;
using Ledger.Domain.Balances;
using Ledger.Domain.Connections;
using Ledger.EventStore;
using Npgsql;

namespace Ledger.Api.Holds;

/// <summary>
/// What a group of opens reads inside its transaction: the connections it names, folded from
/// their streams as the single path folds them, and the balance rows it touches, locked in one
/// order (ADR 0010).
/// </summary>
public static class GroupReads
{
    // One statement, so one snapshot of each connection; the stream's type is checked as the
    // single path checks it, so an id that names a hold is an unknown connection.
    private const string ConnectionsSql = """
        SELECT s.id, e.type, e.data::text FROM ledger.streams s
        JOIN ledger.events e ON e.stream_id = s.id
        WHERE s.id = ANY($1) AND s.type = $2
        ORDER BY s.id, e.version
        """;

    // An allocation creates its balance row; the row must exist before the lock below, so
    // that every row a group touches is locked in the one sorted pass. The insert is sorted too.
    private const string EnsureRowsSql = """
        INSERT INTO ledger.balances (client_id, connection_id, currency)
        SELECT client_id, connection_id, currency
        FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(client_id, connection_id, currency)
        ORDER BY client_id, connection_id, currency
        ON CONFLICT (client_id, connection_id, currency) DO NOTHING
        """;

    // ORDER BY is applied before FOR UPDATE, so rows are locked in key order: two groups that
    // share rows take them in the same order and never deadlock on each other.
    private const string LockRowsSql = """
        SELECT b.client_id, b.connection_id, b.currency, b.available
        FROM ledger.balances b
        JOIN unnest($1::uuid[], $2::uuid[], $3::text[]) AS k(client_id, connection_id, currency)
          ON b.client_id = k.client_id AND b.connection_id = k.connection_id AND b.currency = k.currency
        ORDER BY b.client_id, b.connection_id, b.currency
        FOR UPDATE OF b
        """;

    /// <summary>
    /// Reads the named connections into <paramref name="found"/>, in the claim's round trip.
    /// </summary>
    public static AlongsideReads Connections(
        IEnumerable<Guid> connectionIds,
        EventTypeRegistry registry,
        Dictionary<Guid, Connection> found
    )
    {
        var command = new NpgsqlBatchCommand(ConnectionsSql)
        {
            Parameters =
            {
                new() { Value = connectionIds.Distinct().ToArray() },
                new() { Value = ConnectionFlow.StreamType },
            },
        };
        return new AlongsideReads(
            [command],
            async (reader, cancellationToken) =>
            {
                var events = new Dictionary<Guid, List<object>>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    Guid id = reader.GetGuid(0);
                    if (!events.TryGetValue(id, out List<object>? list))
                    {
                        events[id] = list = [];
                    }
                    list.Add(registry.Deserialize(reader.GetString(1), reader.GetString(2)));
                }
                foreach ((Guid id, List<object> list) in events)
                {
                    found[id] =
                        Connection.Fold(list)
                        ?? throw new InvariantViolationException(
                            $"connection stream {id} has no events"
                        );
                }
            }
        );
    }

    /// <summary>
    /// Creates the rows in <paramref name="create"/> if missing, then locks every row in
    /// <paramref name="keys"/> until commit and returns what each holds available. A key with
    /// no row holds nothing, and there is nothing to lock.
    /// </summary>
    public static async Task<Dictionary<BalanceKey, Quantity>> LockBalancesAsync(
        GroupSession session,
        IReadOnlyCollection<BalanceKey> create,
        IReadOnlyCollection<BalanceKey> keys,
        CancellationToken cancellationToken
    )
    {
        var available = keys.ToDictionary(k => k, _ => Quantity.Zero);
        if (keys.Count == 0)
        {
            return available;
        }
        await using var batch = new NpgsqlBatch(session.Connection, session.Transaction);
        if (create.Count > 0)
        {
            batch.BatchCommands.Add(WithKeys(EnsureRowsSql, create));
        }
        batch.BatchCommands.Add(WithKeys(LockRowsSql, keys));
        await batch.PrepareAsync(cancellationToken);
        await using NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var key = new BalanceKey(
                reader.GetGuid(0),
                reader.GetGuid(1),
                Currency.Parse(reader.GetString(2))
            );
            available[key] = Quantity.From(reader.GetFieldValue<BigInteger>(3));
        }
        return available;
    }

    private static NpgsqlBatchCommand WithKeys(string sql, IReadOnlyCollection<BalanceKey> keys) =>
        new(sql)
        {
            Parameters =
            {
                new() { Value = keys.Select(k => k.ClientId).ToArray() },
                new() { Value = keys.Select(k => k.ConnectionId).ToArray() },
                new() { Value = keys.Select(k => k.Currency.Code).ToArray() },
            },
        };
}
