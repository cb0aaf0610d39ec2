using System.Globalization;
using System.Text;
using Ledger.Torture;
using Xunit.Abstractions;

namespace Ledger.Reliability.Tests;

/// <summary>
/// The short mode of the torture harness (about two minutes): the API killed with kill -9 at
/// least three times, PostgreSQL stopped immediately and restarted at least once and stalled
/// once, client connections dropped mid-request, and every promise of issue 7 checked at the
/// end. LEDGER_TORTURE_SEED replays another seed's schedule.
/// </summary>
public sealed class ShortModeTests(ITestOutputHelper output)
{
    public const string SeedVariable = "LEDGER_TORTURE_SEED";

    /// <summary>CI replays one schedule, so that a failure there can be replayed here.</summary>
    private const int SeedDefault = 7;

    [Fact]
    public async Task Short_mode_with_kills_restarts_stalls_and_drops_has_no_discrepancy()
    {
        int seed = int.TryParse(
            Environment.GetEnvironmentVariable(SeedVariable),
            NumberStyles.Integer,
            CultureInfo.InvariantCulture,
            out int configured
        )
            ? configured
            : SeedDefault;
        using var log = new OutputWriter(output);

        TortureResult result = await TortureRun.RunAsync(
            TortureOptions.For(TortureMode.Short, seed) with
            {
                Log = log,
            }
        );

        Figures figures = result.Figures;
        Assert.True(
            figures.Faults(FaultKind.ApiKill) >= FaultSchedule.ShortApiKills,
            result.Report
        );
        Assert.True(
            figures.Faults(FaultKind.PostgresRestart) >= FaultSchedule.ShortPostgresRestarts,
            result.Report
        );
        Assert.True(result.Figures.Acknowledged > 0, result.Report);
        Assert.True(result.Passed, result.Report);
    }

    /// <summary>The harness's progress lines, into the test's output.</summary>
    private sealed class OutputWriter(ITestOutputHelper output) : TextWriter
    {
        private readonly Lock _gate = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                output.WriteLine(value ?? "");
            }
        }

        public override void Write(char value) => WriteLine(value.ToString());
    }
}
