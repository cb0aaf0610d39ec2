using Ledger.Domain;
using Ledger.Domain.Balances;
using Ledger.EventStore;
using Npgsql;

namespace Ledger.Api.Balances;

/// <summary>
/// Keeps ledger.balances in step with the log, in the append's own transaction. Each change is
/// an atomic increment under the row's lock, never a read-modify-write from C#, so concurrent
/// appends cannot lose an update (the case Marten's inline projections lose); the CHECK
/// constraints abort any append that would drive a part below zero.
/// </summary>
public sealed class BalanceProjection : IInlineProjection
{
    // A CHECK constraint is evaluated on an upsert's proposed row before ON CONFLICT resolves,
    // so a negative delta cannot be written as INSERT .. ON CONFLICT DO UPDATE. Instead the row
    // is created at zero if missing (racing creators simply wait for each other), then changed
    // by an atomic increment under its row lock.
    private const string EnsureRowSql = """
        INSERT INTO ledger.balances (client_id, connection_id, currency) VALUES ($1, $2, $3)
        ON CONFLICT (client_id, connection_id, currency) DO NOTHING
        """;

    private const string ApplyDeltaSql = """
        UPDATE ledger.balances SET
            available = available + $4,
            reserved = reserved + $5,
            pending_credit = pending_credit + $6,
            updated_at = now()
        WHERE client_id = $1 AND connection_id = $2 AND currency = $3
        """;

    private const string LockAvailableSql = """
        SELECT available FROM ledger.balances
        WHERE client_id = $1 AND connection_id = $2 AND currency = $3
        FOR UPDATE
        """;

    // Group commit (ADR 0010): the group's changes summed per balance, applied by one
    // statement. Summing is safe because the group has locked every row before deciding, and
    // its decisions checked each reservation against what the earlier ones left available.
    private const string ApplyGroupDeltasSql = """
        UPDATE ledger.balances b SET
            available = b.available + d.available,
            reserved = b.reserved + d.reserved,
            pending_credit = b.pending_credit + d.pending_credit,
            updated_at = now()
        FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[], $5::numeric[], $6::numeric[])
             AS d(client_id, connection_id, currency, available, reserved, pending_credit)
        WHERE b.client_id = d.client_id AND b.connection_id = d.connection_id AND b.currency = d.currency
        """;

    public void Project(IReadOnlyList<PendingEvent> events, ProjectionBatch batch)
    {
        foreach (PendingEvent e in events)
        {
            if (BalanceEffects.Of(e.Data) is { } delta)
            {
                object[] key =
                [
                    delta.Key.ClientId,
                    delta.Key.ConnectionId,
                    delta.Key.Currency.Code,
                ];
                batch.Add(EnsureRowSql, key);
                batch.Add(
                    ApplyDeltaSql,
                    [.. key, delta.Available, delta.Reserved, delta.PendingCredit],
                    expectedRows: 1,
                    invariant: "a balance change touches exactly one row"
                );
            }
        }
    }

    /// <summary>
    /// The changes <see cref="Project"/> applies, summed per balance and applied set-based, in
    /// one statement that changes every row exactly once. A group has created and locked every
    /// row it changes before deciding (OpenGroup), so none is created here; a missing row
    /// fails the row count, and with it the group.
    /// </summary>
    public void ProjectGroup(IReadOnlyList<PendingEvent> events, ProjectionBatch batch)
    {
        var sums = new Dictionary<BalanceKey, BalanceDelta>();
        foreach (
            BalanceDelta delta in events
                .Select(e => BalanceEffects.Of(e.Data))
                .OfType<BalanceDelta>()
        )
        {
            sums[delta.Key] = sums.TryGetValue(delta.Key, out BalanceDelta? sum)
                ? sum with
                {
                    Available = sum.Available + delta.Available,
                    Reserved = sum.Reserved + delta.Reserved,
                    PendingCredit = sum.PendingCredit + delta.PendingCredit,
                }
                : delta;
        }
        if (sums.Count == 0)
        {
            return;
        }
        List<BalanceDelta> rows = [.. sums.Values];
        object[] keys =
        [
            rows.Select(d => d.Key.ClientId).ToArray(),
            rows.Select(d => d.Key.ConnectionId).ToArray(),
            rows.Select(d => d.Key.Currency.Code).ToArray(),
        ];
        batch.Add(
            ApplyGroupDeltasSql,
            [
                .. keys,
                Numerics(rows.Select(d => d.Available)),
                Numerics(rows.Select(d => d.Reserved)),
                Numerics(rows.Select(d => d.PendingCredit)),
            ],
            expectedRows: rows.Count,
            invariant: "a balance change touches exactly one row"
        );
    }

    /// <summary>
    /// Locks the balance row for the rest of the session's transaction and returns what is
    /// available. No row means nothing was ever credited: zero, and nothing to lock.
    /// </summary>
    public static async Task<Quantity> LockAvailableAsync(
        EventSession session,
        BalanceKey key,
        CancellationToken cancellationToken
    )
    {
        await using var command = new NpgsqlCommand(
            LockAvailableSql,
            session.Connection,
            session.Transaction
        );
        command.Parameters.Add(new NpgsqlParameter { Value = key.ClientId });
        command.Parameters.Add(new NpgsqlParameter { Value = key.ConnectionId });
        command.Parameters.Add(new NpgsqlParameter { Value = key.Currency.Code });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? Quantity.From(reader.GetFieldValue<System.Numerics.BigInteger>(0))
            : Quantity.Zero;
    }

    private static NpgsqlParameter Numerics(IEnumerable<System.Numerics.BigInteger> values) =>
        new()
        {
            Value = values.ToArray(),
            NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Numeric,
        };
}
