namespace Ledger.LocalPostgres.Tests;

/// <summary>One throwaway cluster shared by the tests that only inspect a running server.</summary>
public sealed class RunningClusterFixture : IAsyncLifetime
{
    private LocalPostgresCluster? cluster;

    public LocalPostgresCluster Cluster =>
        cluster ?? throw new InvalidOperationException("The fixture has not started yet.");

    public string RootDirectory { get; } = TestSupport.NewRootDirectory();

    public async Task InitializeAsync()
    {
        var options = TestSupport.Options(RootDirectory, throwaway: true) with
        {
            DatabaseName = "ledger_fixture",
        };
        cluster = await LocalPostgresCluster.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }
    }
}
