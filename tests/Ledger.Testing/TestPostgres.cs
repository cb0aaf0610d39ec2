using Ledger.LocalPostgres;
using Npgsql;

namespace Ledger.Testing;

/// <summary>
/// One PostgreSQL server per test process, and a fresh database per test class on it.
/// LEDGER_TEST_CONNECTION points at an existing server; otherwise a throwaway local cluster
/// starts on first use and stops when the process exits.
/// </summary>
public static class TestPostgres
{
    public const string ConnectionVariable = "LEDGER_TEST_CONNECTION";
    private const string DatabaseNamePrefix = "test_";

    // Lazy with ExecutionAndPublication: test classes run in parallel, and only the first of
    // them may start the cluster. A failed start stays failed, so every test reports it quickly.
    private static readonly Lazy<Task<string>> Server = new(
        StartServerAsync,
        LazyThreadSafetyMode.ExecutionAndPublication
    );

    public static Task<string> ServerConnectionStringAsync() => Server.Value;

    /// <summary>
    /// Creates an empty database named test_&lt;32 hex&gt; and returns its connection string. The
    /// databases are not dropped: the throwaway cluster directory is deleted at process exit.
    /// On a LEDGER_TEST_CONNECTION server they stay, to be dropped by whoever owns it.
    /// </summary>
    public static async Task<string> CreateDatabaseAsync(
        CancellationToken cancellationToken = default
    )
    {
        var server = await ServerConnectionStringAsync();
        var databaseName = DatabaseNamePrefix + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync(cancellationToken);
        // CREATE DATABASE takes no parameters; the name is built here from hex digits only.
        await using var create = new NpgsqlCommand($"CREATE DATABASE {databaseName}", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
        var database = new NpgsqlConnectionStringBuilder(server) { Database = databaseName };
        return database.ConnectionString;
    }

    private static async Task<string> StartServerAsync()
    {
        var configured = Environment.GetEnvironmentVariable(ConnectionVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }
        TestClusterDirectories.SweepDeadOwners();
        var options = new LocalPostgresOptions
        {
            RootDirectory = TestClusterDirectories.Claim(),
            Throwaway = true,
            Durable = false,
        };
        // The cluster stops itself at process exit (it is throwaway), so nothing holds it here;
        // TestClusterDirectories removes what an interrupted exit leaves behind.
        var cluster = await LocalPostgresCluster.StartAsync(options);
        TestClusterDirectories.ReleaseAtProcessExit(options.RootDirectory);
        return cluster.AdminConnectionString;
    }
}
