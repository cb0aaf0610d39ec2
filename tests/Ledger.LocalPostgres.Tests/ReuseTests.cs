using static Ledger.LocalPostgres.Tests.TestSupport;

namespace Ledger.LocalPostgres.Tests;

public sealed class ReuseTests : IDisposable
{
    private readonly string root = NewRootDirectory();

    public void Dispose() => DeleteDirectory(root);

    [Fact]
    public async Task Cluster_left_running_by_a_killed_owner_is_reused()
    {
        // The first owner never stops its cluster, as if it had been killed with SIGKILL.
        await using var abandoned = await LocalPostgresCluster.StartAsync(Options(root, false));
        await ExecuteAsync(
            abandoned.ConnectionString,
            "CREATE TABLE seen (id int); INSERT INTO seen VALUES (7)"
        );

        await using var adopter = await LocalPostgresCluster.StartAsync(Options(root, false));
        var seen = await ScalarAsync<int>(adopter.ConnectionString, "SELECT id FROM seen");

        Assert.Equal(abandoned.Port, adopter.Port);
        Assert.False(adopter.StartedByThisProcess);
        Assert.Equal(7, seen);
    }

    [Fact]
    public async Task Stopping_a_cluster_that_another_owner_already_stopped_is_harmless()
    {
        var first = await LocalPostgresCluster.StartAsync(Options(root, throwaway: false));
        var adopter = await LocalPostgresCluster.StartAsync(Options(root, throwaway: false));

        await adopter.StopAsync();
        await first.StopAsync();

        Assert.False(File.Exists(Path.Combine(root, "data", "postmaster.pid")));
    }
}
