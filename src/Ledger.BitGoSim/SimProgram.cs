using Ledger.BitGoSim.Demo;
using Ledger.BitGoSim.Hosting;

namespace Ledger.BitGoSim;

/// <summary>
/// "demo" runs the scripted day (README); anything else serves the simulator, configured by
/// the Sim section (Sim__PartnerBaseUrl, Sim__PrivateKeyPemPath, Sim__ClientTokens__&lt;id&gt;).
/// A class with Main rather than top-level statements, so that no global Program type clashes
/// with the ledger's in projects that reference both.
/// </summary>
public static class SimProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["demo", ..])
        {
            return await DemoCommand.RunAsync(Console.Out);
        }
        WebApplication app = SimulatorHost.Build(args);
        await app.RunAsync();
        return 0;
    }
}
