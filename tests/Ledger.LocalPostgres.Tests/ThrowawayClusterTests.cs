using Npgsql;
using static Ledger.LocalPostgres.Tests.TestSupport;

namespace Ledger.LocalPostgres.Tests;

public sealed class ThrowawayClusterTests
{
    [Fact]
    public async Task Throwaway_cluster_starts_accepts_connections_and_is_deleted_on_stop()
    {
        var root = NewRootDirectory();
        var cluster = await LocalPostgresCluster.StartAsync(Options(root, throwaway: true));

        var database = await ScalarAsync<string>(
            cluster.ConnectionString,
            "SELECT current_database()"
        );
        Assert.Equal("ledger", database);
        await cluster.StopAsync();

        Assert.False(Directory.Exists(root));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() =>
            ScalarAsync<int>(cluster.ConnectionString, "SELECT 1")
        );
    }

    [Fact]
    public async Task Stopping_twice_is_harmless()
    {
        var root = NewRootDirectory();
        var cluster = await LocalPostgresCluster.StartAsync(Options(root, throwaway: true));

        await cluster.StopAsync();
        await cluster.StopAsync();
        await cluster.DisposeAsync();

        Assert.False(Directory.Exists(root));
    }
}
