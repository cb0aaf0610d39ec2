using Ledger.Api.Hosting;
using Npgsql;

namespace Ledger.Api.Security;

/// <summary>
/// Remembers every BitGo token's jti in PostgreSQL. The primary key makes "first use wins"
/// atomic, so 20 concurrent replays of one token get exactly one success, on any node.
/// </summary>
public sealed class JtiStore(LedgerDatabase database)
{
    private const string RecordSql = """
        INSERT INTO ledger.seen_jtis (jti, expires_at) VALUES ($1, $2)
        ON CONFLICT (jti) DO NOTHING
        """;

    /// <summary>A token is dropped only once it could no longer pass the expiry check.</summary>
    private const string PruneSql =
        "DELETE FROM ledger.seen_jtis WHERE expires_at < now() - make_interval(secs => $1)";

    /// <summary>True when this is the jti's first use; false for a replay.</summary>
    public async Task<bool> TryRecordFirstUseAsync(
        string jti,
        DateTimeOffset expiresAt,
        CancellationToken cancellationToken
    )
    {
        await using NpgsqlCommand command = database.DataSource.CreateCommand(RecordSql);
        command.Parameters.Add(new NpgsqlParameter { Value = jti });
        command.Parameters.Add(new NpgsqlParameter { Value = expiresAt.UtcDateTime });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = database.DataSource.CreateCommand(PruneSql);
        command.Parameters.Add(
            new NpgsqlParameter
            {
                Value = (double)Ledger.BitGoAuth.BitGoTokenVerifier.ClockSkewSeconds,
            }
        );
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>Prunes expired jtis once a minute; a failed prune only waits for the next one.</summary>
public sealed class JtiPruner(JtiStore store, ILogger<JtiPruner> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await NextTickAsync(timer, stoppingToken))
        {
            try
            {
                int pruned = await store.PruneAsync(stoppingToken);
                logger.LogDebug("Pruned {Count} expired jtis", pruned);
            }
            catch (NpgsqlException e)
            {
                logger.LogWarning(
                    e,
                    "Pruning expired jtis failed; retrying in {Interval}",
                    Interval
                );
            }
        }
    }

    /// <summary>False once the host stops: stopping is how the loop ends, not a failure.</summary>
    private static async Task<bool> NextTickAsync(
        PeriodicTimer timer,
        CancellationToken stoppingToken
    )
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
