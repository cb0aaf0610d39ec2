using System.Net;
using Ledger.Api.Tests.Support;
using Ledger.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// The real host on a fresh database that it reaches only through a <see cref="DatabaseProxy"/>,
/// so a test can take "the database" down, stall it or lose its answers. The test's own reads
/// go straight to the server.
/// </summary>
public sealed class ProxiedApiFixture : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;
    private DatabaseProxy? _proxy;

    /// <summary>The database itself, bypassing the proxy.</summary>
    public string DirectConnectionString { get; private set; } = "";

    public DatabaseProxy Proxy =>
        _proxy ?? throw new InvalidOperationException("fixture not initialised");

    public WebApplicationFactory<Program> Factory =>
        _factory ?? throw new InvalidOperationException("fixture not initialised");

    public async Task InitializeAsync()
    {
        DirectConnectionString = await TestPostgres.CreateDatabaseAsync();
        var direct = new NpgsqlConnectionStringBuilder(DirectConnectionString);
        IPAddress address = (await Dns.GetHostAddressesAsync(direct.Host!))[0];
        _proxy = new DatabaseProxy(new IPEndPoint(address, direct.Port));
        string proxied = new NpgsqlConnectionStringBuilder(DirectConnectionString)
        {
            Host = IPAddress.Loopback.ToString(),
            Port = _proxy.Port,
        }.ConnectionString;
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Testing");
            web.UseSetting("ConnectionStrings:Ledger", proxied);
            foreach ((string key, string value) in TestCredentials.Settings())
            {
                web.UseSetting(key, value);
            }
        });
        using HttpClient _ = _factory.CreateClient();
    }

    public BitGoClient BitGo() => new(Factory.CreateClient());

    public async Task<T?> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(DirectConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (object p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        object? value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public async Task<long> CountEventsAsync() =>
        await ScalarAsync<long>("SELECT count(*) FROM ledger.events");

    public async Task DisposeAsync()
    {
        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }
    }
}
