using Ledger.LocalPostgres;
using Npgsql;
using Ledger.EventStore;

namespace Ledger.Api.Hosting;

/// <summary>
/// The service's database. ConnectionStrings:Ledger names a server; without it the service
/// runs its own PostgreSQL cluster under .ledger/ in the working directory and stops it on
/// shutdown (ADR 0004). The schema is applied at startup, before any request is served.
/// </summary>
public sealed class LedgerDatabase(IConfiguration configuration, ILogger<LedgerDatabase> logger)
    : IHostedService, IAsyncDisposable
{
    public static readonly IReadOnlyList<SchemaScript> Scripts =
    [
        SchemaApplier.EventStoreScript,
        SchemaScript.FromResource(typeof(LedgerDatabase).Assembly, "Ledger.Api.schema.sql", "ledger_views", 1),
    ];

    private NpgsqlDataSource? _dataSource;
    private LocalPostgresCluster? _cluster;

    public NpgsqlDataSource DataSource =>
        _dataSource ?? throw new InvalidOperationException("the database is used before startup opened it");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        string? connectionString = configuration.GetConnectionString("Ledger");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            string root = Path.Combine(Directory.GetCurrentDirectory(), ".ledger", "postgres");
            logger.LogInformation("No ConnectionStrings:Ledger; starting a local PostgreSQL in {Root}", root);
            _cluster = await LocalPostgresCluster.StartAsync(new LocalPostgresOptions { RootDirectory = root },
                cancellationToken);
            connectionString = _cluster.ConnectionString;
            logger.LogInformation("Local PostgreSQL listens on 127.0.0.1:{Port}", _cluster.Port);
        }
        _dataSource = NpgsqlDataSource.Create(DatabaseResilience.WithTimeouts(connectionString));
        await SchemaApplier.ApplyAsync(_dataSource, Scripts, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
            _dataSource = null;
        }
        if (_cluster is not null)
        {
            await _cluster.StopAsync();
            _cluster = null;
        }
    }
}
