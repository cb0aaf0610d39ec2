using System.Net.Http.Headers;
using System.Security.Cryptography;
using Ledger.BitGoSim.Demo;
using Ledger.BitGoSim.Hosting;
using Ledger.BitGoSim.Partner;
using Ledger.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Ledger.EndToEnd.Tests.Support;

/// <summary>A BitGo enterprise the simulator knows, with its member's bearer token.</summary>
public sealed record TestEnterprise(string Id, string Token);

/// <summary>
/// A ledger on a fresh database and a simulator pointed at it, each on its own Kestrel port
/// on 127.0.0.1, so every call between them is real HTTP. One fixture serves one test class;
/// each test takes fresh enterprises, so tests never see one another's balances.
/// </summary>
public sealed class EndToEndFixture : IAsyncLifetime
{
    public const string OperatorKey = "e2e-operator-key-0123456789abcdef";

    /// <summary>Enterprises configured at the simulator; a test class uses a few.</summary>
    public const int EnterprisesCount = 32;

    // One key per test process: generating 2048-bit keys is slow, and not what is tested.
    private static readonly Lazy<RSA> BitGoKey = new(() => RSA.Create(2048));

    private WebApplication? ledger;
    private WebApplication? simulator;
    private SimApiClient? clients;
    private int enterprisesTaken;

    public string ConnectionString { get; private set; } = "";

    public Uri LedgerUrl => (ledger ?? throw NotStarted()).BaseUrl();

    public WebApplication Simulator => simulator ?? throw NotStarted();

    public FaultSwitch Faults => Simulator.Services.GetRequiredService<FaultSwitch>();

    public PartnerTarget Target => Simulator.Services.GetRequiredService<PartnerTarget>();

    public SimStore Store => Simulator.Services.GetRequiredService<SimStore>();

    public async Task InitializeAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync();
        ledger = await InProcessLedger.StartAsync(
            [
                new("ConnectionStrings:Ledger", ConnectionString),
                new("BitGo:PublicKeys:0", BitGoKey.Value.ExportSubjectPublicKeyInfoPem()),
                new("Auth:ApiKeys:e2e:Key", OperatorKey),
                new("Auth:ApiKeys:e2e:Role", "operator"),
                new("Logging:LogLevel:Default", "Warning"),
            ],
            "Testing"
        );
        simulator = await SimulatorHost.StartAsync([
            new("Sim:PartnerBaseUrl", LedgerUrl.ToString()),
            new("Sim:PrivateKeyPem", BitGoKey.Value.ExportPkcs8PrivateKeyPem()),
            new("Logging:LogLevel:Default", "Warning"),
            .. Enumerable
                .Range(0, EnterprisesCount)
                .Select(i => new KeyValuePair<string, string?>(
                    $"Sim:ClientTokens:{EnterpriseId(i)}",
                    Token(i)
                )),
        ]);
    }

    public TestEnterprise NextEnterprise()
    {
        int index = Interlocked.Increment(ref enterprisesTaken) - 1;
        Assert.True(index < EnterprisesCount, "no enterprise left; raise EnterprisesCount");
        return new TestEnterprise(EnterpriseId(index), Token(index));
    }

    /// <summary>The simulator's client-facing API.</summary>
    public SimApiClient Clients() =>
        clients ??= new SimApiClient(new HttpClient { BaseAddress = Simulator.BaseUrl() });

    /// <summary>The ledger's query API, with the operator key.</summary>
    public HttpClient LedgerQueries()
    {
        var http = new HttpClient { BaseAddress = LedgerUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Bearer",
            OperatorKey
        );
        return http;
    }

    /// <summary>
    /// Faults off and the partner reachable again: each test class runs after this.
    /// </summary>
    public void Reset()
    {
        Faults.Set(SimFaults.None);
        Target.BaseUrl = LedgerUrl;
    }

    public async Task DisposeAsync()
    {
        await SimulatorHost.StopAndDisposeAsync(simulator);
        await SimulatorHost.StopAndDisposeAsync(ledger);
    }

    private static string EnterpriseId(int index) => $"e2e-enterprise-{index:D2}";

    private static string Token(int index) => $"e2e-client-token-{index:D2}-0123456789abcdef";

    private static InvalidOperationException NotStarted() => new("fixture not initialised");
}
