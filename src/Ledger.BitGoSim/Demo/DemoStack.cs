using System.Net.Http.Headers;
using System.Security.Cryptography;
using Ledger.BitGoSim.Hosting;
using Ledger.BitGoSim.Partner;
using Ledger.LocalPostgres;

namespace Ledger.BitGoSim.Demo;

/// <summary>
/// Everything the demo runs, in one process: a throwaway PostgreSQL cluster, the partner's
/// ledger on it, and the simulator pointed at the ledger. BitGo's key pair is made fresh, and
/// the ledger is told to trust its public half; nothing is written outside the temp directory.
/// </summary>
public sealed class DemoStack : IAsyncDisposable
{
    private const int RsaKeyBits = 2048;
    private const int OperatorKeyBytes = 24;

    private LocalPostgresCluster? cluster;
    private WebApplication? ledger;
    private WebApplication? simulator;

    private DemoStack(IReadOnlyDictionary<string, string> clientTokens)
    {
        ClientTokens = clientTokens;
    }

    public IReadOnlyDictionary<string, string> ClientTokens { get; }

    public string OperatorKey { get; } =
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(OperatorKeyBytes));

    public int PostgresPort => Cluster.Port;

    public Uri LedgerUrl => Ledger.BaseUrl();

    public Uri SimulatorUrl => Simulator.BaseUrl();

    public WebApplication Simulator => simulator ?? throw NotStarted();

    private WebApplication Ledger => ledger ?? throw NotStarted();

    private LocalPostgresCluster Cluster => cluster ?? throw NotStarted();

    public T SimService<T>()
        where T : notnull => Simulator.Services.GetRequiredService<T>();

    /// <summary>Calls the simulator as BitGo's clients do.</summary>
    public SimApiClient Clients() => new(new HttpClient { BaseAddress = SimulatorUrl });

    /// <summary>Calls the ledger's query API (/api/v1) with the demo's operator key.</summary>
    public HttpClient LedgerQueries()
    {
        var http = new HttpClient { BaseAddress = LedgerUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Bearer",
            OperatorKey
        );
        return http;
    }

    public static async Task<DemoStack> StartAsync(
        IReadOnlyDictionary<string, string> clientTokens,
        CancellationToken cancellationToken
    )
    {
        var stack = new DemoStack(clientTokens);
        bool started = false;
        try
        {
            await stack.StartPartsAsync(cancellationToken);
            started = true;
            return stack;
        }
        finally
        {
            if (!started)
            {
                await stack.DisposeAsync();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await SimulatorHost.StopAndDisposeAsync(simulator);
        await SimulatorHost.StopAndDisposeAsync(ledger);
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }
    }

    private async Task StartPartsAsync(CancellationToken cancellationToken)
    {
        cluster = await LocalPostgresCluster.StartAsync(
            new LocalPostgresOptions
            {
                RootDirectory = Path.Combine(Path.GetTempPath(), $"ledger-demo-{Guid.NewGuid():N}"),
                Throwaway = true,
                Durable = false,
            },
            cancellationToken
        );
        using RSA bitgoKey = RSA.Create(RsaKeyBits);
        ledger = await InProcessLedger.StartAsync(
            [
                new("ConnectionStrings:Ledger", cluster.ConnectionString),
                new("BitGo:PublicKeys:0", bitgoKey.ExportSubjectPublicKeyInfoPem()),
                new("Auth:ApiKeys:demo:Key", OperatorKey),
                new("Auth:ApiKeys:demo:Role", "operator"),
                new("Logging:LogLevel:Default", "Warning"),
            ],
            "Demo",
            cancellationToken
        );
        simulator = await SimulatorHost.StartAsync(
            [
                new("Sim:PartnerBaseUrl", LedgerUrl.ToString()),
                new("Sim:PrivateKeyPem", bitgoKey.ExportPkcs8PrivateKeyPem()),
                // The demo prints its own timeline; the simulator's fault warnings would repeat it.
                new("Logging:LogLevel:Default", "Error"),
                .. ClientTokens.Select(t => new KeyValuePair<string, string?>(
                    $"Sim:ClientTokens:{t.Key}",
                    t.Value
                )),
            ],
            cancellationToken
        );
    }

    private static InvalidOperationException NotStarted() => new("the demo stack is not started");
}

/// <summary>Shorthands for the simulator's services the demo steers.</summary>
public static class DemoStackExtensions
{
    public static FaultSwitch Faults(this DemoStack stack) => stack.SimService<FaultSwitch>();

    public static SimStore Store(this DemoStack stack) => stack.SimService<SimStore>();

    public static PartnerClient Partner(this DemoStack stack) => stack.SimService<PartnerClient>();
}
