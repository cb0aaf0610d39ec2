using Ledger.Api;

namespace Ledger.BitGoSim.Demo;

/// <summary>
/// The partner's ledger, hosted in this process on a free loopback port through its public
/// AddLedger/MapLedger, with the same pipeline as src/Ledger.Api/Program.cs. The demo and the
/// end-to-end tests use it so that the ledger is reached over real HTTP, as BitGo reaches it.
/// </summary>
public static class InProcessLedger
{
    public static async Task<WebApplication> StartAsync(
        IEnumerable<KeyValuePair<string, string?>> settings,
        string environmentName,
        CancellationToken cancellationToken = default
    )
    {
        // An explicit environment: "Development" would make the ledger trust dev keys on disk.
        WebApplicationBuilder builder = WebApplication.CreateBuilder(
            new WebApplicationOptions { Args = [], EnvironmentName = environmentName }
        );
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls(Hosting.SimulatorHost.AnyLoopbackPortUrl);
        WebApplication app = builder.BuildLedger();
        await app.StartAsync(cancellationToken);
        return app;
    }
}
