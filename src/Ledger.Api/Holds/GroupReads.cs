using System.Numerics;
using Ledger.Api.Connections;
using Ledger.Domain;
using Ledger.Domain.Balances;
using Ledger.Domain.Connections;
using Ledger.Domain.Holds;
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
    // single path checks it, so an id that names a hold is an unknown connection. A stream at
    // the version of the cached fold returns one row without events; any other returns its
    // events, to fold again.
    private const string ConnectionsSql = """
        SELECT s.id, s.version, e.type, e.data::text
        FROM unnest($1::uuid[], $2::integer[]) AS k(id, cached_version)
        JOIN ledger.streams s ON s.id = k.id
        LEFT JOIN ledger.events e ON e.stream_id = s.id AND s.version <> k.cached_version
        WHERE s.type = $3
        ORDER BY s.id, e.version
        """;

    // An allocation creates its balance row if missing, after the group's sorted lock of the
    // rows that exist; these inserts are sorted too, so two groups creating rows take them in
    // one order.
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

    // What a group that decided before it read assumed (GroupSession.Assumed): each connection
    // still at the version of its fold, and each balance row holding funds for which every
    // decision stands. The rows are locked in key order, as LockRowsSql locks them; FOR UPDATE
    // reads a row another transaction changed in its committed version, so a change is seen.
    // A range, not the value decided on, so that groups of two loops reserving from one row
    // do not fail each other: a reservation stands for any funds that cover it.
    private const string ConnectionsUnchangedSql = """
        SELECT s.id
        FROM unnest($1::uuid[], $2::integer[]) AS k(id, version)
        JOIN ledger.streams s ON s.id = k.id AND s.version = k.version
        WHERE s.type = $3
        """;

    private const string BalancesWithinSql = """
        SELECT b.client_id
        FROM ledger.balances b
        JOIN unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[], $5::numeric[])
             AS k(client_id, connection_id, currency, at_least, below)
          ON b.client_id = k.client_id AND b.connection_id = k.connection_id AND b.currency = k.currency
        WHERE b.available >= k.at_least AND (k.below IS NULL OR b.available < k.below)
        ORDER BY b.client_id, b.connection_id, b.currency
        FOR UPDATE OF b
        """;

    /// <summary>
    /// Reads the named connections into <paramref name="found"/>: each from
    /// <paramref name="cache"/> when its stream is still at the cached version, else folded
    /// from its events and cached.
    /// </summary>
    public static GroupStatements Connections(
        IEnumerable<Guid> connectionIds,
        EventTypeRegistry registry,
        ConnectionCache cache,
        Dictionary<Guid, Connection> found
    )
    {
        // Taken once: another loop may cache a newer fold meanwhile.
        Dictionary<Guid, Connection?> cached = connectionIds
            .Distinct()
            .ToDictionary(id => id, cache.Find);
        var command = new NpgsqlBatchCommand(ConnectionsSql)
        {
            Parameters =
            {
                new() { Value = cached.Keys.ToArray() },
                new() { Value = cached.Values.Select(c => c?.Version ?? 0).ToArray() },
                new() { Value = ConnectionFlow.StreamType },
            },
        };
        return new GroupStatements(
            [command],
            async (reader, cancellationToken) =>
            {
                var events = new Dictionary<Guid, List<object>>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    Guid id = reader.GetGuid(0);
                    if (await reader.IsDBNullAsync(2, cancellationToken))
                    {
                        found[id] =
                            cached[id] is { } same && same.Version == reader.GetInt32(1)
                                ? same
                                : throw new InvariantViolationException(
                                    $"connection {id} matched a cached version it does not have"
                                );
                        continue;
                    }
                    if (!events.TryGetValue(id, out List<object>? list))
                    {
                        events[id] = list = [];
                    }
                    list.Add(registry.Deserialize(reader.GetString(2), reader.GetString(3)));
                }
                foreach ((Guid id, List<object> list) in events)
                {
                    Connection connection =
                        Connection.Fold(list)
                        ?? throw new InvariantViolationException(
                            $"connection stream {id} has no events"
                        );
                    found[id] = connection;
                    cache.Keep(connection);
                }
            }
        );
    }

    /// <summary>
    /// Creates the rows in <paramref name="create"/> if missing, then locks every row in
    /// <paramref name="keys"/> until commit, reads into <paramref name="available"/> what each
    /// holds available and adds it to <paramref name="locked"/>. A key with no row holds
    /// nothing, and there is nothing to lock.
    /// </summary>
    public static GroupStatements LockBalances(
        IReadOnlyCollection<BalanceKey> create,
        IReadOnlyCollection<BalanceKey> keys,
        Dictionary<BalanceKey, Quantity> available,
        HashSet<BalanceKey> locked
    )
    {
        foreach (BalanceKey key in keys)
        {
            available.TryAdd(key, Quantity.Zero);
        }
        if (keys.Count == 0)
        {
            return GroupStatements.None;
        }
        List<NpgsqlBatchCommand> commands =
            create.Count > 0
                ? [WithKeys(EnsureRowsSql, create), WithKeys(LockRowsSql, keys)]
                : [WithKeys(LockRowsSql, keys)];
        return new GroupStatements(
            commands,
            async (reader, cancellationToken) =>
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var key = new BalanceKey(
                        reader.GetGuid(0),
                        reader.GetGuid(1),
                        Currency.Parse(reader.GetString(2))
                    );
                    available[key] = Quantity.From(reader.GetFieldValue<BigInteger>(3));
                    locked.Add(key);
                }
            }
        );
    }

    /// <summary>Locks the balance rows of <paramref name="keys"/> in key order until commit.</summary>
    public static NpgsqlBatchCommand LockRows(IReadOnlyCollection<BalanceKey> keys) =>
        WithKeys(LockRowsSql, keys);

    /// <summary>The assumption that each connection is still at the version of its fold.</summary>
    public static NpgsqlBatchCommand ConnectionsUnchanged(
        IReadOnlyCollection<Connection> connections
    ) =>
        GroupSession.Assumed(
            new NpgsqlBatchCommand(ConnectionsUnchangedSql)
            {
                Parameters =
                {
                    new() { Value = connections.Select(c => c.Id).ToArray() },
                    new() { Value = connections.Select(c => c.Version).ToArray() },
                    new() { Value = ConnectionFlow.StreamType },
                },
            },
            connections.Count,
            "each connection is at the version it was decided on"
        );

    /// <summary>
    /// Locks the balance rows in key order, with the assumption that each holds funds in the
    /// range for which the group's decisions stand.
    /// </summary>
    public static NpgsqlBatchCommand BalancesWithin(
        IReadOnlyDictionary<BalanceKey, FundsRange> needed
    ) =>
        GroupSession.Assumed(
            new NpgsqlBatchCommand(BalancesWithinSql)
            {
                Parameters =
                {
                    new() { Value = needed.Keys.Select(k => k.ClientId).ToArray() },
                    new() { Value = needed.Keys.Select(k => k.ConnectionId).ToArray() },
                    new() { Value = needed.Keys.Select(k => k.Currency.Code).ToArray() },
                    new() { Value = needed.Values.Select(r => r.AtLeast.Value).ToArray() },
                    new() { Value = needed.Values.Select(r => r.Below?.Value).ToArray() },
                },
            },
            needed.Count,
            "each balance row holds funds its decisions stand for"
        );

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
