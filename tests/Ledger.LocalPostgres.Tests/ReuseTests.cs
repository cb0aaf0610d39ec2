using static Ledger.LocalPostgres.Tests.TestSupport;

namespace Ledger.LocalPostgres.Tests;

public sealed class ReuseTests
{
    [Fact]
    public async Task Cluster_left_running_by_a_killed_owner_is_reused()
    {
        var root = NewRootDirectory();
        try
        {
            // The first owner never stops its cluster, as if it had been killed with SIGKILL.
            var abandoned = await LocalPostgresCluster.StartAsync(Options(root, throwaway: false));
            await ExecuteAsync(abandoned.ConnectionString,
                "CREATE TABLE seen (id int); INSERT INTO seen VALUES (7)");

            var adopter = await LocalPostgresCluster.StartAsync(Options(root, throwaway: false));
            var seen = await ScalarAsync<int>(adopter.ConnectionString, "SELECT id FROM seen");
            await adopter.StopAsync();

            Assert.Equal(abandoned.Port, adopter.Port);
            Assert.False(adopter.StartedByThisProcess);
            Assert.Equal(7, seen);
            // The adopter stopped the server, so the first owner's stop finds nothing to stop.
            await abandoned.StopAsync();
        }
        finally
        {
            DeleteDirectory(root);
        }
    }
}
