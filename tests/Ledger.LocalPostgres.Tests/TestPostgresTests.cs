using Ledger.Testing;
using Npgsql;
using static Ledger.LocalPostgres.Tests.TestSupport;

namespace Ledger.LocalPostgres.Tests;

public sealed class TestPostgresTests
{
    [Fact]
    public async Task TestPostgres_gives_each_caller_a_separate_database()
    {
        var connections = await Task.WhenAll(
            TestPostgres.CreateDatabaseAsync(),
            TestPostgres.CreateDatabaseAsync()
        );
        var first = new NpgsqlConnectionStringBuilder(connections[0]);
        var second = new NpgsqlConnectionStringBuilder(connections[1]);

        await ExecuteAsync(connections[0], "CREATE TABLE only_in_first (id int)");
        var tablesInSecond = await ScalarAsync<long>(
            connections[1],
            "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_first'"
        );

        Assert.NotEqual(first.Database, second.Database);
        Assert.Matches("^test_[0-9a-f]{32}$", first.Database);
        Assert.Matches("^test_[0-9a-f]{32}$", second.Database);
        Assert.Equal(0, tablesInSecond);
    }

    [Fact]
    public async Task TestPostgres_starts_one_server_for_all_callers()
    {
        var servers = await Task.WhenAll(
            Enumerable.Range(0, 4).Select(_ => TestPostgres.ServerConnectionStringAsync())
        );

        Assert.Single(servers.Distinct());
    }
}
