using Ledger.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace Ledger.Api.Tests.Support;

/// <summary>
/// The real host, through WebApplicationFactory, on a fresh database of a real PostgreSQL. One
/// fixture serves one test class; classes never share a database.
/// </summary>
public sealed class LedgerApiFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;

    public string ConnectionString { get; private set; } = "";

    public WebApplicationFactory<Program> Factory =>
        _factory ?? throw new InvalidOperationException("fixture not initialised");

    public async Task InitializeAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.UseSetting("ConnectionStrings:Ledger", ConnectionString);
            foreach ((string key, string value) in TestCredentials.Settings())
            {
                web.UseSetting(key, value);
            }
            foreach ((string key, string value) in ExtraSettings)
            {
                web.UseSetting(key, value);
            }
        });
        // Start the host now, so schema application is not charged to the first test.
        using HttpClient _ = _factory.CreateClient();
    }

    /// <summary>Settings a test class needs beyond the connection string.</summary>
    public IDictionary<string, string> ExtraSettings { get; } = new Dictionary<string, string>();

    public BitGoClient BitGo() => new(Factory.CreateClient());

    public async Task<long> CountEventsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM ledger.events",
            connection
        );
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<T?> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (object p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        object? value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }
}
