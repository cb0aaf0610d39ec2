using System.Runtime.Versioning;
using Npgsql;
using static Ledger.LocalPostgres.Tests.TestSupport;

namespace Ledger.LocalPostgres.Tests;

public sealed class RunningClusterTests(RunningClusterFixture fixture)
    : IClassFixture<RunningClusterFixture>
{
    private LocalPostgresCluster Cluster => fixture.Cluster;

    [Fact]
    public void Connection_strings_name_the_requested_database_and_the_admin_database()
    {
        var application = new NpgsqlConnectionStringBuilder(Cluster.ConnectionString);
        var admin = new NpgsqlConnectionStringBuilder(Cluster.AdminConnectionString);

        Assert.Equal(
            ("127.0.0.1", Cluster.Port, "ledger_fixture", "ledger"),
            (application.Host, application.Port, application.Database, application.Username)
        );
        Assert.Equal(
            ("127.0.0.1", Cluster.Port, "postgres"),
            (admin.Host, admin.Port, admin.Database)
        );
        Assert.Equal(Path.Combine(fixture.RootDirectory, "data"), Cluster.DataDirectory);
    }

    [Fact]
    public async Task Server_listens_on_loopback_only_and_has_no_unix_socket()
    {
        var listen = await ScalarAsync<string>(
            Cluster.AdminConnectionString,
            "SHOW listen_addresses"
        );
        var sockets = await ScalarAsync<string>(
            Cluster.AdminConnectionString,
            "SHOW unix_socket_directories"
        );

        Assert.Equal("127.0.0.1", listen);
        Assert.Equal("", sockets);
    }

    [Fact]
    public async Task Non_durable_cluster_turns_off_fsync_synchronous_commit_and_full_page_writes()
    {
        const string sql =
            "SELECT string_agg(setting, ',' ORDER BY name) FROM pg_settings "
            + "WHERE name IN ('fsync', 'full_page_writes', 'synchronous_commit')";

        var settings = await ScalarAsync<string>(Cluster.AdminConnectionString, sql);

        Assert.Equal("off,off,off", settings);
    }

    [Fact]
    [SupportedOSPlatform("linux")]
    public void Password_file_is_readable_by_its_owner_only()
    {
        var mode = File.GetUnixFileMode(Path.Combine(fixture.RootDirectory, "password"));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public async Task Password_is_required_to_log_in()
    {
        var wrong = new NpgsqlConnectionStringBuilder(Cluster.AdminConnectionString)
        {
            Password = "wrong",
        };

        var refusal = await Assert.ThrowsAsync<PostgresException>(() =>
            ScalarAsync<int>(wrong.ConnectionString, "SELECT 1")
        );

        Assert.Equal(PostgresErrorCodes.InvalidPassword, refusal.SqlState);
    }
}
