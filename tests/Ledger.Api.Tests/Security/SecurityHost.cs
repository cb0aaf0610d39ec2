using System.Globalization;
using System.Net;
using Ledger.Api.Tests.Support;
using Ledger.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// Builds the real host through WebApplicationFactory with exactly the settings a security test
/// names. Support's LedgerApiFixture is sealed and always uses the default limits, so the
/// security tests that need other keys, another environment or a failure limit build their own.
/// </summary>
public static class LedgerHosts
{
    /// <summary>A test-only header that stands in for the TCP peer's address (see below).</summary>
    public const string ClientAddressHeader = "X-Test-Client-Address";

    public static WebApplicationFactory<Program> Create(
        string connectionString,
        string environment,
        IEnumerable<KeyValuePair<string, string>> settings,
        bool addressFromHeader = false
    ) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment(environment);
            web.UseSetting("ConnectionStrings:Ledger", connectionString);
            foreach ((string key, string value) in settings)
            {
                web.UseSetting(key, value);
            }
            if (addressFromHeader)
            {
                web.ConfigureServices(services =>
                    services.AddTransient<IStartupFilter, ClientAddressFromHeader>()
                );
            }
        });

    /// <summary>
    /// The test-credential settings with BitGo's key entries replaced by <paramref name="pems"/>
    /// (BitGo:PublicKeys:0, :1, ...), so that no key of the defaults survives by accident.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> WithBitGoKeys(params string[] pems) =>
        [
            .. TestCredentials
                .Settings()
                .Where(s => !s.Key.StartsWith("BitGo:", StringComparison.Ordinal)),
            .. pems.Select(
                (pem, index) => new KeyValuePair<string, string>($"BitGo:PublicKeys:{index}", pem)
            ),
        ];

    /// <summary>
    /// TestServer gives every request the same (null) remote address, so the per-address failure
    /// limiter would see one client. This filter, registered only by the rate-limit tests, sets
    /// the address from a header, the way a real peer's address differs per connection.
    /// </summary>
    private sealed class ClientAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) =>
            app =>
            {
                app.Use(
                    (HttpContext http, RequestDelegate following) =>
                    {
                        string? header = http.Request.Headers[ClientAddressHeader];
                        if (IPAddress.TryParse(header, out IPAddress? address))
                        {
                            http.Connection.RemoteIpAddress = address;
                        }
                        return following(http);
                    }
                );
                next(app);
            };
    }
}

/// <summary>
/// One host on a fresh database for one test class, with the settings the subclass names. It
/// offers what Support's fixture does: a signed BitGo client, the event count and scalar reads.
/// </summary>
public abstract class SecurityHost : IAsyncLifetime
{
    private WebApplicationFactory<Program>? _factory;
    private TestConnection? _connection;

    public string ConnectionString { get; private set; } = "";

    public WebApplicationFactory<Program> Factory =>
        _factory ?? throw new InvalidOperationException("host not initialised");

    /// <summary>Settings besides the connection string; the test credentials by default.</summary>
    protected virtual IEnumerable<KeyValuePair<string, string>> Settings =>
        TestCredentials.Settings();

    protected virtual bool AddressFromHeader => false;

    public async Task InitializeAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync();
        _factory = LedgerHosts.Create(ConnectionString, "Testing", Settings, AddressFromHeader);
        // Start the host now, so schema application is not charged to the first test.
        using HttpClient _ = _factory.CreateClient();
    }

    public BitGoClient BitGo() => new(Factory.CreateClient());

    /// <summary>An active connection for the class's tests, made once on first use.</summary>
    public async Task<TestConnection> ConnectionAsync() =>
        _connection ??= await BitGo().ConnectAsync();

    public async Task<long> CountEventsAsync() =>
        await ScalarAsync<long>("SELECT count(*) FROM ledger.events");

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

/// <summary>
/// The authentication tests' host. Each forged token is an authentication failure, and the
/// classes send more than the default 30 per minute from TestServer's single address; the
/// limiter has its own tests, so here it is set high enough never to answer 429.
/// </summary>
public sealed class AuthHost : SecurityHost
{
    public const int FailuresPerWindowMax = 10_000;

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [
            .. TestCredentials.Settings(),
            new(
                "Auth:FailuresPerWindowMax",
                FailuresPerWindowMax.ToString(CultureInfo.InvariantCulture)
            ),
        ];
}

/// <summary>The hostile-input tests' host, with the defaults: each case is signed.</summary>
public sealed class HostileInputHost : SecurityHost;
