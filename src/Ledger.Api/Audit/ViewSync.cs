using Ledger.Domain.Balances;
using Npgsql;

namespace Ledger.Api.Audit;

/// <summary>
/// A balance row's key as the table holds it (a tampered currency may not parse).
/// </summary>
internal readonly record struct BalanceRowKey(Guid ClientId, Guid ConnectionId, string Currency)
{
    public static BalanceRowKey Of(BalanceKey key) =>
        new(key.ClientId, key.ConnectionId, key.Currency.Code);
}

/// <summary>The view rows a rebuild must replace, by key.</summary>
internal sealed class ViewKeys
{
    public HashSet<BalanceRowKey> Balances { get; } = [];

    public HashSet<Guid> Holds { get; } = [];

    public HashSet<Guid> Connections { get; } = [];

    public long Count => Balances.Count + Holds.Count + Connections.Count;
}

/// <summary>
/// Makes the live views equal to the staging tables in two steps. Before the lock, one full
/// join per view finds the keys whose rows differ (usually none). Under the lock, only those
/// keys, and the keys the caught-up events touched, are replaced: deleted and inserted from
/// staging. Any other row cannot have changed in between, because every change to a view
/// comes with events that the catch-up reads. So the views stay locked for milliseconds
/// unless many rows really differ.
/// <para>
/// A balance's updated_at is not compared: two appends to one balance can commit in the other
/// order than their transactions started, so the live value is the better one to keep.
/// </para>
/// </summary>
internal static class ViewSync
{
    private const string DiffBalancesSql = """
        SELECT COALESCE(s.client_id, l.client_id), COALESCE(s.connection_id, l.connection_id),
               COALESCE(s.currency, l.currency)
        FROM pg_temp.staged_balances s
        FULL JOIN ledger.balances l ON s.client_id = l.client_id
            AND s.connection_id = l.connection_id AND s.currency = l.currency
        WHERE s.client_id IS NULL OR l.client_id IS NULL
           OR (s.available, s.reserved, s.pending_credit)
              IS DISTINCT FROM (l.available, l.reserved, l.pending_credit)
        """;

    private const string DiffHoldsSql = """
        SELECT COALESCE(s.id, l.id)
        FROM pg_temp.staged_hold_status s FULL JOIN ledger.hold_status l ON s.id = l.id
        WHERE s.id IS NULL OR l.id IS NULL OR (s.*) IS DISTINCT FROM (l.*)
        """;

    private const string DiffConnectionsSql = """
        SELECT COALESCE(s.connection_id, l.connection_id)
        FROM pg_temp.staged_connections s
        FULL JOIN ledger.connections l ON s.connection_id = l.connection_id
        WHERE s.connection_id IS NULL OR l.connection_id IS NULL OR (s.*) IS DISTINCT FROM (l.*)
        """;

    private const string DeleteBalancesSql = """
        DELETE FROM ledger.balances l
        USING unnest($1::uuid[], $2::uuid[], $3::text[]) AS k (client_id, connection_id, currency)
        WHERE l.client_id = k.client_id AND l.connection_id = k.connection_id
          AND l.currency = k.currency
        """;

    private const string InsertBalancesSql = """
        INSERT INTO ledger.balances
        SELECT s.* FROM pg_temp.staged_balances s
        JOIN unnest($1::uuid[], $2::uuid[], $3::text[]) AS k (client_id, connection_id, currency)
            ON s.client_id = k.client_id AND s.connection_id = k.connection_id
           AND s.currency = k.currency
        """;

    private const string DeleteHoldsSql = "DELETE FROM ledger.hold_status WHERE id = ANY($1)";

    private const string InsertHoldsSql = """
        INSERT INTO ledger.hold_status SELECT * FROM pg_temp.staged_hold_status WHERE id = ANY($1)
        """;

    private const string DeleteConnectionsSql =
        "DELETE FROM ledger.connections WHERE connection_id = ANY($1)";

    private const string InsertConnectionsSql = """
        INSERT INTO ledger.connections
        SELECT * FROM pg_temp.staged_connections WHERE connection_id = ANY($1)
        """;

    /// <summary>
    /// The keys whose live row differs from its staged row, or exists on one side only.
    /// </summary>
    public static async Task<ViewKeys> DiffAsync(
        NpgsqlConnection connection,
        CancellationToken cancellationToken
    )
    {
        var keys = new ViewKeys();
        await using (var command = new NpgsqlCommand(DiffBalancesSql, connection))
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                keys.Balances.Add(
                    new BalanceRowKey(reader.GetGuid(0), reader.GetGuid(1), reader.GetString(2))
                );
            }
        }
        await ReadIdsAsync(connection, DiffHoldsSql, keys.Holds, cancellationToken);
        await ReadIdsAsync(connection, DiffConnectionsSql, keys.Connections, cancellationToken);
        return keys;
    }

    /// <summary>Replaces the live rows of these keys with the staged ones.</summary>
    public static async Task ReplaceAsync(
        NpgsqlConnection connection,
        ViewKeys keys,
        CancellationToken cancellationToken
    )
    {
        BalanceRowKey[] balances = [.. keys.Balances];
        Guid[] holds = [.. keys.Holds];
        Guid[] connections = [.. keys.Connections];
        await using var batch = new NpgsqlBatch(connection);
        foreach (string sql in new[] { DeleteBalancesSql, InsertBalancesSql })
        {
            batch.BatchCommands.Add(
                new NpgsqlBatchCommand(sql)
                {
                    Parameters =
                    {
                        new() { Value = balances.Select(k => k.ClientId).ToArray() },
                        new() { Value = balances.Select(k => k.ConnectionId).ToArray() },
                        new() { Value = balances.Select(k => k.Currency).ToArray() },
                    },
                }
            );
        }
        foreach (
            (string sql, Guid[] ids) in new[]
            {
                (DeleteHoldsSql, holds),
                (InsertHoldsSql, holds),
                (DeleteConnectionsSql, connections),
                (InsertConnectionsSql, connections),
            }
        )
        {
            batch.BatchCommands.Add(
                new NpgsqlBatchCommand(sql) { Parameters = { new() { Value = ids } } }
            );
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ReadIdsAsync(
        NpgsqlConnection connection,
        string sql,
        HashSet<Guid> ids,
        CancellationToken cancellationToken
    )
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }
    }
}
