using Ledger.EventStore;
using Ledger.LocalPostgres;
using Npgsql;

namespace Ledger.Api.Hosting;

/// <summary>
/// The service's database. ConnectionStrings:Ledger names a server; without it the service
/// runs its own PostgreSQL cluster under .ledger/ in the working directory and stops it on
/// shutdown (ADR 0004). The schema is applied at startup, before any request is served.
/// </summary>
public sealed class LedgerDatabase(IConfiguration configuration, ILogger<LedgerDatabase> logger)
    : IHostedService,
        IAsyncDisposable
{
    public static readonly IReadOnlyList<SchemaScript> Scripts =
    [
        SchemaApplier.EventStoreScript,
        SchemaScript.FromResource(
            typeof(LedgerDatabase).Assembly,
            "Ledger.Api.schema.sql",
            "ledger_views",
            1
        ),
    ];

    /// <summary>Distinct statements kept prepared per pooled connection; ours are a few dozen.</summary>
    private const int AutoPreparedStatementsMax = 128;

    private const int AutoPrepareUsagesMin = 2;

    /// <summary>Hex digits of the checkout path's hash that name its cluster under /tmp.</summary>
    private const int CheckoutKeyLength = 12;

    private NpgsqlDataSource? _dataSource;
    private NpgsqlDataSource? _queries;
    private LocalPostgresCluster? _cluster;

    public NpgsqlDataSource DataSource =>
        _dataSource
        ?? throw new InvalidOperationException("the database is used before startup opened it");

    /// <summary>
    /// The same server for the query API's reads, each one statement outside any transaction:
    /// multiplexed, so concurrent queries share a few connections and go out in one write, and
    /// each backend answers a run of them per wake-up. A balance query cost about 45% less CPU
    /// and the API served about two thirds more of them (docs/benchmarks.md, "Sixth round").
    /// Nothing that needs a transaction, a connection of its own or COPY may use it (ADR 0014).
    /// </summary>
    public NpgsqlDataSource Queries =>
        _queries
        ?? throw new InvalidOperationException("the database is used before startup opened it");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        string? connectionString = configuration.GetConnectionString("Ledger");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            _cluster = await StartLocalClusterAsync(logger, cancellationToken);
            connectionString = _cluster.ConnectionString;
        }
        string tuned = Tuned(DatabaseResilience.WithTimeouts(connectionString));
        _dataSource = NpgsqlDataSource.Create(tuned);
        await SchemaApplier.ApplyAsync(_dataSource, Scripts, cancellationToken);
        var queries = new NpgsqlConnectionStringBuilder(tuned);
        if (!DatabaseResilience.Mentions(connectionString, "Multiplexing"))
        {
            queries.Multiplexing = true;
        }
        _queries = NpgsqlDataSource.Create(queries.ConnectionString);
    }

    /// <summary>
    /// Where the local cluster lives when no connection string is configured: beside the
    /// project, or, when run as root from a checkout PostgreSQL's user cannot enter (a fresh
    /// clone in <c>mktemp -d</c>), under the temp folder, one cluster per checkout.
    /// </summary>
    public static string LocalClusterRoot
    {
        get
        {
            string checkout = Directory.GetCurrentDirectory();
            string beside = Path.Combine(checkout, ".ledger", "postgres");
            if (LocalPostgresCluster.CanRunAsUserReach(beside))
            {
                return beside;
            }
            string key = Convert.ToHexStringLower(
                System.Security.Cryptography.SHA256.HashData(
                    System.Text.Encoding.UTF8.GetBytes(checkout)
                )
            )[..CheckoutKeyLength];
            return Path.Combine(Path.GetTempPath(), $"ledger-{key}", "postgres");
        }
    }

    /// <summary>
    /// Starts (or joins, if a killed owner left it running) the local cluster. The service and
    /// the command-line tools both come here, so they always find the same cluster.
    /// </summary>
    public static async Task<LocalPostgresCluster> StartLocalClusterAsync(
        ILogger logger,
        CancellationToken cancellationToken
    )
    {
        logger.LogInformation(
            "No ConnectionStrings:Ledger; using the local PostgreSQL in {Root}",
            LocalClusterRoot
        );
        LocalPostgresCluster cluster = await LocalPostgresCluster.StartAsync(
            new LocalPostgresOptions { RootDirectory = LocalClusterRoot },
            cancellationToken
        );
        logger.LogInformation("Local PostgreSQL listens on 127.0.0.1:{Port}", cluster.Port);
        return cluster;
    }

    /// <summary>
    /// Statements run twice are prepared on their pooled connection, unless the connection
    /// string says otherwise. Parsing and planning were a third of PostgreSQL's time per request
    /// (the jti insert, the balance query, every read of a stream); with this a reservation on
    /// the single path cost 31% less CPU, and a balance query about half (docs/benchmarks.md).
    /// A pooled connection is not reset when returned: the reset was three statements on every
    /// reuse, and nothing here leaves session state (settings are SET LOCAL, advisory locks are
    /// transaction-scoped, and the rebuild drops its temp tables before creating them).
    /// </summary>
    private static string Tuned(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (
            !DatabaseResilience.Mentions(
                connectionString,
                "Max Auto Prepare",
                "MaxAutoPrepare",
                "Auto Prepare Min Usages",
                "AutoPrepareMinUsages"
            )
        )
        {
            builder.MaxAutoPrepare = AutoPreparedStatementsMax;
            builder.AutoPrepareMinUsages = AutoPrepareUsagesMin;
        }
        if (!DatabaseResilience.Mentions(connectionString, "No Reset On Close", "NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }
        builder.IncludeFailedBatchedCommand = true; // The event store requires it.
        return builder.ConnectionString;
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (_queries is not null)
        {
            await _queries.DisposeAsync();
            _queries = null;
        }
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
