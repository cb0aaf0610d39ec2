using Ledger.Api.Hosting;
using Ledger.EventStore;
using Ledger.LocalPostgres;
using Npgsql;

namespace Ledger.Api.Audit;

/// <summary>
/// The database as the command-line tools reach it: the service's choice (ConnectionStrings:
/// Ledger, or the local cluster under .ledger/ as LedgerDatabase starts it, ADR 0004) and its
/// schema, but with no command timeout. The service's data source gives up on any statement
/// after a few seconds, which suits requests, not a replay of millions of events; Ctrl+C
/// cancels a command instead.
/// </summary>
public sealed class CliDatabase : IAsyncDisposable
{
    private readonly LocalPostgresCluster? _cluster;
    private readonly bool _stopClusterOnDispose;

    private CliDatabase(
        NpgsqlDataSource dataSource,
        LocalPostgresCluster? cluster,
        bool stopClusterOnDispose
    )
    {
        DataSource = dataSource;
        _cluster = cluster;
        _stopClusterOnDispose = stopClusterOnDispose;
    }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<CliDatabase> OpenAsync(
        IConfiguration configuration,
        ILogger logger,
        CancellationToken cancellationToken
    )
    {
        string? connectionString = configuration.GetConnectionString("Ledger");
        LocalPostgresCluster? cluster = null;
        bool stopOnDispose = false;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            // A running service owns a running cluster: leave it running when done.
            stopOnDispose = !File.Exists(
                Path.Combine(LedgerDatabase.LocalClusterRoot, "data", "postmaster.pid")
            );
            cluster = await LedgerDatabase.StartLocalClusterAsync(logger, cancellationToken);
            connectionString = cluster.ConnectionString;
        }
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            CommandTimeout = 0,
            IncludeFailedBatchedCommand = true,
        };
        NpgsqlDataSource dataSource = NpgsqlDataSource.Create(builder);
        var database = new CliDatabase(dataSource, cluster, stopOnDispose);
        try
        {
            await SchemaApplier.ApplyAsync(dataSource, LedgerDatabase.Scripts, cancellationToken);
            return database;
        }
        catch
        {
            await database.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_cluster is not null && _stopClusterOnDispose)
        {
            await _cluster.StopAsync();
        }
    }
}
