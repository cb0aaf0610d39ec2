using static Ledger.LocalPostgres.Tests.TestSupport;

namespace Ledger.LocalPostgres.Tests;

public sealed class RefusalTests
{
    [Fact]
    public async Task Missing_binaries_error_names_the_three_ways_out()
    {
        var emptyBin = Directory.CreateTempSubdirectory("ledger-empty-bin-").FullName;
        var root = NewRootDirectory();
        try
        {
            var options = Options(root, throwaway: true) with { BinDirectory = emptyBin };

            var error = await Assert.ThrowsAsync<LocalPostgresUnavailableException>(() =>
                LocalPostgresCluster.StartAsync(options)
            );

            Assert.Contains("apt-get install postgresql", error.Message);
            Assert.Contains("ConnectionStrings__Ledger", error.Message);
            Assert.Contains("docker compose up", error.Message);
            Assert.False(Directory.Exists(root));
        }
        finally
        {
            Directory.Delete(emptyBin);
        }
    }

    [Theory]
    [InlineData("Ledger")]
    [InlineData("ledger\"; DROP DATABASE postgres; --")]
    [InlineData("1ledger")]
    [InlineData("")]
    public async Task Database_name_outside_the_allowed_pattern_is_refused_before_anything_starts(
        string databaseName
    )
    {
        var root = NewRootDirectory();
        var options = Options(root, throwaway: true) with { DatabaseName = databaseName };

        await Assert.ThrowsAsync<ArgumentException>(() => LocalPostgresCluster.StartAsync(options));

        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task Root_directory_with_shell_quoting_characters_is_refused()
    {
        var root = NewRootDirectory() + "\"$(touch x)";
        var options = Options(root, throwaway: true);

        await Assert.ThrowsAsync<ArgumentException>(() => LocalPostgresCluster.StartAsync(options));

        Assert.False(Directory.Exists(root));
    }

    [Fact]
    public async Task As_root_a_root_directory_that_postgres_cannot_reach_is_refused()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return; // Without root, PostgreSQL runs as us and reaches whatever we reach.
        }
        // CreateTempSubdirectory makes a 0700 directory, which the postgres user cannot enter.
        var closed = Directory.CreateTempSubdirectory("ledger-closed-").FullName;
        try
        {
            var options = Options(Path.Combine(closed, "cluster"), throwaway: true);

            var error = await Assert.ThrowsAsync<LocalPostgresUnavailableException>(() =>
                LocalPostgresCluster.StartAsync(options)
            );

            Assert.Contains(closed, error.Message);
            Assert.False(Directory.Exists(options.RootDirectory));
        }
        finally
        {
            Directory.Delete(closed, recursive: true);
        }
    }

    [Fact]
    public void A_root_directory_below_a_closed_directory_is_reachable_only_without_root()
    {
        var closed = Directory.CreateTempSubdirectory("ledger-closed-").FullName;
        try
        {
            bool reachable = LocalPostgresCluster.CanRunAsUserReach(Path.Combine(closed, "x"));

            Assert.Equal(!Environment.IsPrivilegedProcess, reachable);
            Assert.True(LocalPostgresCluster.CanRunAsUserReach(NewRootDirectory()));
        }
        finally
        {
            Directory.Delete(closed, recursive: true);
        }
    }

    [Fact]
    public void Server_options_hold_only_the_port_and_fixed_settings()
    {
        var durable = ClusterControl.ServerOptions(5433, durable: true);
        var fast = ClusterControl.ServerOptions(5433, durable: false);

        Assert.Equal(
            "-c listen_addresses=127.0.0.1 -p 5433 -c unix_socket_directories='' "
                + "-c max_connections=200",
            durable
        );
        Assert.Equal(
            durable + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            fast
        );
        Assert.Throws<ArgumentOutOfRangeException>(() => ClusterControl.ServerOptions(0, true));
        Assert.Throws<ArgumentOutOfRangeException>(() => ClusterControl.ServerOptions(65536, true));
    }
}
