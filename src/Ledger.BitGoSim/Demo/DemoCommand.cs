using System.Diagnostics;
using System.Security.Cryptography;

namespace Ledger.BitGoSim.Demo;

/// <summary>
/// `dotnet run --project src/Ledger.BitGoSim -- demo`: starts PostgreSQL, the ledger and the
/// simulator in this process, plays the scripted day, prints its timeline, stops everything.
/// Exit code 0 when every deallocation ended as scripted and every balance reconciled.
/// </summary>
public static class DemoCommand
{
    /// <summary>
    /// The whole demo, cluster start included, must fit in this (issue 6: under 60 s).
    /// </summary>
    public const int DemoSecondsMax = 60;

    private const int ClientTokenBytes = 24;

    public static async Task<int> RunAsync(TextWriter output)
    {
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(DemoSecondsMax));
        Dictionary<string, string> tokens = DemoDay.Clients.ToDictionary(
            c => c.EnterpriseId,
            _ => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(ClientTokenBytes))
        );
        bool ok;
        await using (DemoStack stack = await DemoStack.StartAsync(tokens, timeout.Token))
        {
            ok = await PlayAsync(stack, output);
        }
        output.WriteLine();
        output.WriteLine(
            ok
                ? "Every deallocation ended as scripted and every balance reconciled."
                : "SOMETHING DIFFERED from the script (see above)."
        );
        output.WriteLine(
            $"Done in {clock.Elapsed.TotalSeconds:0.0} s; ledger, simulator and "
                + "PostgreSQL stopped, cluster deleted."
        );
        return ok ? 0 : 1;
    }

    private static async Task<bool> PlayAsync(DemoStack stack, TextWriter output)
    {
        var report = new DemoReport(output, stack, DateTimeOffset.UtcNow);
        var day = new DemoDay(stack);
        report.Header();
        var clients = new Dictionary<string, ConnectedClient>(StringComparer.Ordinal);
        foreach (DemoClient client in DemoDay.Clients)
        {
            ConnectedClient connected = await day.ConnectAndAllocateAsync(client);
            clients.Add(client.EnterpriseId, connected);
            report.Connected(connected);
        }
        report.Section("Trading day: six deallocations, one refused, one with a lost answer");
        bool ok = true;
        int number = 0;
        foreach (DemoDeallocation step in DemoDay.Deallocations)
        {
            number++;
            ConnectedClient client = clients[step.EnterpriseId];
            DeallocationRun run = await day.DeallocateAsync(client, step, number);
            await report.DeallocationAsync(run);
            ok &= run.AsExpected;
        }
        report.Section("Evening: each client's balances, the ledger's against BitGo's own view");
        foreach (ConnectedClient client in clients.Values)
        {
            ok &= await report.BalancesAsync(client);
        }
        return ok;
    }
}
