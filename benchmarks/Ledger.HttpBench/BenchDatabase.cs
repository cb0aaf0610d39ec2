using Ledger.LocalPostgres;
using Npgsql;

namespace Ledger.HttpBench;

/// <summary>
/// The PostgreSQL both the ledger and the anchor run on: a given server, or a throwaway local
/// cluster with fsync and synchronous commit on (LocalPostgresOptions.Durable), deleted at the
/// end. The numbers mean nothing unless every commit reaches the disk, so the settings are
/// read back and printed.
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private const string SettingsSql = """
        SELECT current_setting('server_version'), current_setting('fsync'),
               current_setting('synchronous_commit'), current_setting('full_page_writes'),
               current_setting('shared_buffers'), current_setting('max_connections')
        """;

    /// <summary>A vacuum or checkpoint between runs that takes longer than this is a fault.</summary>
    private const int SettleSecondsMax = 120;

    private readonly LocalPostgresCluster? _cluster;

    private BenchDatabase(string connectionString, LocalPostgresCluster? cluster)
    {
        ConnectionString = connectionString;
        _cluster = cluster;
    }

    public string ConnectionString { get; }

    /// <summary>"PostgreSQL 15.x, fsync on, ...", for the report.</summary>
    public string Description { get; private set; } = "";

    public bool IsDurable { get; private set; }

    public static async Task<BenchDatabase> OpenAsync(
        string? given,
        CancellationToken cancellationToken
    )
    {
        BenchDatabase database;
        if (!string.IsNullOrWhiteSpace(given))
        {
            database = new BenchDatabase(given, null);
        }
        else
        {
            string root = Path.Combine(
                Path.GetTempPath(),
                "ledger-httpbench-" + Guid.NewGuid().ToString("N")[..8]
            );
            LocalPostgresCluster cluster = await LocalPostgresCluster.StartAsync(
                new LocalPostgresOptions
                {
                    RootDirectory = root,
                    Throwaway = true,
                    Durable = true,
                    DatabaseName = "ledger_bench",
                },
                cancellationToken
            );
            database = new BenchDatabase(cluster.ConnectionString, cluster);
        }
        await database.ReadSettingsAsync(cancellationToken);
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_cluster is not null)
        {
            await _cluster.StopAsync();
        }
    }

    /// <summary>
    /// Vacuums and checkpoints, so that each measured run starts from a settled database rather
    /// than meeting the autovacuum and the checkpoint of the run before it. (Before this, the
    /// reserve-only run, which follows the group-commit-off run, cost 393-452 µs per request,
    /// where the retries run, the same work and more, cost 318-323 in the same benchmark.)
    /// CHECKPOINT needs a superuser or pg_checkpoint; a given server without it only vacuums.
    /// </summary>
    public async Task SettleAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using (var vacuum = new NpgsqlCommand("VACUUM (ANALYZE)", connection))
        {
            vacuum.CommandTimeout = SettleSecondsMax;
            await vacuum.ExecuteNonQueryAsync(cancellationToken);
        }
        try
        {
            await using var checkpoint = new NpgsqlCommand("CHECKPOINT", connection);
            checkpoint.CommandTimeout = SettleSecondsMax;
            await checkpoint.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            // A given server may not let this user checkpoint; the vacuum still settles it.
        }
    }

    private async Task ReadSettingsAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(SettingsSql, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        string version = reader.GetString(0).Split(' ')[0];
        IsDurable = reader.GetString(1) == "on" && reader.GetString(2) == "on";
        Description =
            $"PostgreSQL {version} ({(_cluster is null ? "given server" : "local cluster")}): "
            + $"fsync={reader.GetString(1)}, synchronous_commit={reader.GetString(2)}, "
            + $"full_page_writes={reader.GetString(3)}, shared_buffers={reader.GetString(4)}, "
            + $"max_connections={reader.GetString(5)}";
    }
}
