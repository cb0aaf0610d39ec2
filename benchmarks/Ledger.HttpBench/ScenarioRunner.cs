using System.Diagnostics;

namespace Ledger.HttpBench;

/// <summary>One scenario's measured outcome, per operation.</summary>
public sealed record ScenarioResult(
    int Scenario,
    string Name,
    bool GroupCommit,
    IReadOnlyList<OperationStats> Operations,
    double ElapsedSeconds,
    string Note,
    CpuUse? Cpu = null
)
{
    /// <summary>The anchor runs measured right before and right after this run, by index.</summary>
    public (int Before, int After)? Anchors { get; init; }

    /// <summary>Every request the run answered, writes and reads.</summary>
    public long Requests => Operations.Sum(o => (long)o.Requests);

    public OperationStats? Find(string operation) =>
        Operations.FirstOrDefault(o => o.Operation == operation);
}

/// <summary>
/// Runs one scenario: a short warm-up (which also measures the rate), then enough requests
/// signed for the measured run, then the run itself. Every step run, warm-up included, goes to
/// the journal the checks read afterwards.
/// </summary>
public sealed class ScenarioRunner(
    Driver driver,
    Signer signer,
    Workload workload,
    BenchOptions options,
    int apiProcessId,
    CpuMeter? meter
)
{
    /// <summary>Requests per client in the warm-up, which also sizes the measured run.</summary>
    private const int WarmupUnitsPerClient = 150;

    private const int WarmupSecondsMax = 3;

    private const int ApiWarmupSecondsMax = 15;

    /// <summary>Headroom over the warm-up's rate, so the measured run never runs dry.</summary>
    private const double PoolHeadroom = 2.0;

    /// <summary>Bounds the signing time and memory of one run.</summary>
    private const int UnitsMax = 250_000;

    public List<Step> Journal { get; } = [];

    public static string NameOf(int scenario) =>
        scenario switch
        {
            1 => "reserve only, 1,000 balances",
            2 => "full lifecycle (reserve, clear; 10% released)",
            3 => "hot accounts, 10 balances",
            4 => "retries, 20% exact duplicates",
            5 => "balance queries",
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

    /// <summary>
    /// Runs every code path (reserve, clear, release, balance queries) on a freshly started API
    /// until the JIT's tiering has settled: a cold API spent a fifth of its CPU in the JIT.
    /// </summary>
    public async Task WarmUpAsync()
    {
        WorkUnit[] units = Prepare(2, options.Clients * WarmupUnitsPerClient * 2);
        RunResult run = await driver.RunAsync(
            units,
            options.Clients,
            Math.Max(1, options.Clients / 4),
            workload,
            TimeSpan.FromSeconds(ApiWarmupSecondsMax)
        );
        Journal.AddRange(run.Steps);
    }

    public async Task<ScenarioResult> RunWritesAsync(
        int scenario,
        bool groupCommit,
        int readers = 0
    )
    {
        WorkUnit[] warmup = Prepare(scenario, options.Clients * WarmupUnitsPerClient);
        RunResult warm = await driver.RunAsync(
            warmup,
            options.Clients,
            0,
            workload,
            TimeSpan.FromSeconds(WarmupSecondsMax)
        );
        Journal.AddRange(warm.Steps);
        double unitsPerSecond =
            warm.Steps.Count / (double)warmup[0].Steps.Length / warm.ElapsedSeconds;
        int count = (int)
            Math.Min(
                UnitsMax,
                (unitsPerSecond * options.Seconds * PoolHeadroom) + (options.Clients * 4)
            );
        var signing = Stopwatch.StartNew();
        WorkUnit[] units = Prepare(scenario, count);
        Console.WriteLine(
            $"    signed {units.Sum(u => u.Steps.Length):N0} requests in "
                + $"{signing.Elapsed.TotalSeconds:F1} s (warm-up ran {unitsPerSecond:F0} units/s)"
        );
        Task<string> trace = Profiler.TraceAsync(
            options.TraceTool,
            apiProcessId,
            $"s{scenario}-{(groupCommit ? "on" : "off")}{(readers > 0 ? "-queries" : "")}",
            options.Seconds
        );
        // The client keeps every step it ran for the checks afterwards, a heap that grows to
        // hundreds of MB over a run; a full collection of it under the clock stalls every
        // request in flight (ScenarioRunner prints what the client's GC paused).
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var cpuBefore = meter?.Sample(apiProcessId);
        TimeSpan clientPausedBefore = GC.GetTotalPauseDuration();
        int clientFullBefore = GC.CollectionCount(2);
        int clientCollectionsBefore = GC.CollectionCount(0);
        RunResult run = await driver.RunAsync(
            units,
            options.Clients,
            readers,
            workload,
            TimeSpan.FromSeconds(options.Seconds)
        );
        CpuUse? cpu = cpuBefore is { } before ? meter!.Since(before, apiProcessId) : null;
        Console.WriteLine(
            $"    client GC: {(GC.GetTotalPauseDuration() - clientPausedBefore).TotalMilliseconds:F0} ms paused in "
                + $"{GC.CollectionCount(0) - clientCollectionsBefore} collections, "
                + $"{GC.CollectionCount(2) - clientFullBefore} gen2; heap {GC.GetTotalMemory(false) >> 20} MB"
        );
        Console.Write(await trace);
        Journal.AddRange(run.Steps);
        string note = run.PoolExhausted
            ? $"signed requests ran out after {run.ElapsedSeconds:F1} s; rates are over that time"
            : "";
        return new ScenarioResult(
            scenario,
            NameOf(scenario) + (readers > 0 ? ", with queries" : ""),
            groupCommit,
            Summarise(run),
            run.ElapsedSeconds,
            note,
            cpu
        );
    }

    public async Task<ScenarioResult> RunReadsAloneAsync(bool groupCommit)
    {
        await driver.RunAsync(
            [],
            0,
            options.Clients,
            workload,
            TimeSpan.FromSeconds(WarmupSecondsMax)
        );
        var cpuBefore = meter?.Sample(apiProcessId);
        RunResult run = await driver.RunAsync(
            [],
            0,
            options.Clients,
            workload,
            TimeSpan.FromSeconds(options.Seconds)
        );
        CpuUse? cpu = cpuBefore is { } before ? meter!.Since(before, apiProcessId) : null;
        return new ScenarioResult(
            5,
            NameOf(5) + " alone",
            groupCommit,
            Summarise(run),
            run.ElapsedSeconds,
            "",
            cpu
        );
    }

    private WorkUnit[] Prepare(int scenario, int count)
    {
        WorkUnit[] units = workload.Build(scenario, count, options.Clients);
        Step[] steps = [.. units.SelectMany(u => u.Steps)];
        string[] tokens = signer.MintAll([.. steps.Select(s => s.Body)]);
        for (int i = 0; i < steps.Length; i++)
        {
            steps[i].Token = tokens[i];
        }
        return units;
    }

    private static List<OperationStats> Summarise(RunResult run)
    {
        var stats = new List<OperationStats>();
        foreach (var group in run.Steps.GroupBy(s => s.Operation).OrderBy(g => g.Key))
        {
            stats.Add(
                OperationStats.From(
                    Label(group.Key),
                    [.. group.Select(s => s.LatencyTicks)],
                    run.ElapsedSeconds,
                    group.Count(s => !s.Succeeded),
                    group.Count(s => s.Rejected)
                )
            );
        }
        if (run.Reads.Count > 0)
        {
            stats.Add(
                OperationStats.From(
                    Label(Operation.BalanceQuery),
                    [.. run.Reads.Select(r => r.LatencyTicks)],
                    run.ElapsedSeconds,
                    run.Reads.Count(r => r.Status != 200),
                    0
                )
            );
        }
        return stats;
    }

    private static string Label(Operation operation) =>
        operation switch
        {
            Operation.Reserve => "reserve",
            Operation.Clear => "clear",
            Operation.Release => "release",
            Operation.BalanceQuery => "balance query",
            _ => throw new ArgumentOutOfRangeException(nameof(operation)),
        };
}
