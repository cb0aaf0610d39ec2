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

    public void Project(IReadOnlyList<PendingEvent> events, ProjectionBatch batch)
    {
        foreach (PendingEvent e in events)
        {
            if (BalanceEffects.Of(e.Data) is { } delta)
            {
                object[] key = [delta.Key.ClientId, delta.Key.ConnectionId, delta.Key.Currency.Code];
                batch.Add(EnsureRowSql, key);
                batch.Add(ApplyDeltaSql, [.. key, delta.Available, delta.Reserved, delta.PendingCredit],
                    expectedRows: 1, invariant: "a balance change touches exactly one row");
            }
        }
    }

    /// <summary>
    /// Locks the balance row for the rest of the session's transaction and returns what is
    /// available. No row means nothing was ever credited: zero, and nothing to lock.
    /// </summary>
    public static async Task<Quantity> LockAvailableAsync(EventSession session, BalanceKey key,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(LockAvailableSql, session.Connection, session.Transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = key.ClientId });
        command.Parameters.Add(new NpgsqlParameter { Value = key.ConnectionId });
        command.Parameters.Add(new NpgsqlParameter { Value = key.Currency.Code });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? Quantity.From(reader.GetFieldValue<System.Numerics.BigInteger>(0))
            : Quantity.Zero;
    }
}
