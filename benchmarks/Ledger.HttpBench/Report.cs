using System.Globalization;
using System.Text;

namespace Ledger.HttpBench;

/// <summary>
/// The run as markdown: the table, the anchor, the ratio before and after group commit, the
/// goals of issue 8 and the checks. It replaces only the text between its own markers in
/// docs/benchmarks.md, so other sections of that file are never touched.
/// </summary>
public sealed class Report(
    BenchOptions options,
    MachineInfo machine,
    string database,
    IReadOnlyList<AnchorResult> anchors,
    IReadOnlyList<ScenarioResult> results,
    IReadOnlyList<string> checks,
    TimeSpan took
)
{
    public const string StartMarker = "<!-- httpbench:latest:start -->";
    public const string EndMarker = "<!-- httpbench:latest:end -->";
    public const string SectionHeading = "## HTTP benchmark";

    private const double RatioGoal = 1.0;
    private const double WriteP99GoalMilliseconds = 50;
    private const double QueryRateGoalPerSecond = 10_000;
    private const double QueryP99GoalMilliseconds = 10;

    public bool Passed =>
        !checks.Any(c => c.StartsWith("FAIL", StringComparison.Ordinal))
        && results.All(r => r.Operations.All(o => o.Unexpected == 0 && o.Rejected == 0));

    private double AnchorTps => anchors.Average(a => a.TransactionsPerSecond);

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        string now = DateTime.UtcNow.ToString(
            "yyyy-MM-dd HH:mm 'UTC'",
            CultureInfo.InvariantCulture
        );
        text.AppendLine($"### Latest run: {now}");
        text.AppendLine();
        text.AppendLine($"- Command: `{options.CommandLine.Trim()}`");
        text.AppendLine($"- Machine: {machine.Description}");
        text.AppendLine(
            $"- Load average (1, 5, 15 min) before the run: {machine.LoadAverage}; after: "
                + MachineInfo.LoadAverageNow()
        );
        text.AppendLine($"- Database: {database}");
        text.AppendLine(
            $"- C = {options.Clients} clients, {options.Seconds} s per scenario; the run took "
                + $"{took.TotalMinutes:F1} min"
        );
        text.AppendLine();
        text.AppendLine(
            "| scenario | group commit | operation | requests | req/s | p50 ms | p99 ms | max ms "
                + "| non-2xx | rejected |"
        );
        text.AppendLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (ScenarioResult r in results)
        {
            foreach (OperationStats o in r.Operations)
            {
                text.AppendLine(
                    $"| {r.Scenario}. {r.Name} | {(r.GroupCommit ? "on" : "off")} | {o.Operation} | "
                        + $"{o.Requests:N0} | {o.RequestsPerSecond:N0} | {o.P50Milliseconds:F1} | "
                        + $"{o.P99Milliseconds:F1} | {o.MaxMilliseconds:F1} | {o.Unexpected} | {o.Rejected} |"
                );
            }
        }
        foreach (ScenarioResult r in results.Where(r => r.Note.Length > 0))
        {
            text.AppendLine();
            text.AppendLine($"Note on scenario {r.Scenario}: {r.Note}.");
        }
        text.AppendLine();
        AppendCpu(text);
        AppendAnchorAndGoals(text);
        text.AppendLine();
        text.AppendLine("Checks after the runs:");
        text.AppendLine();
        foreach (string check in checks)
        {
            text.AppendLine($"- `{check.Split('\n')[0]}`");
        }
        return text.ToString();
    }

    /// <summary>Writes the latest run between the markers, adding the section if it is missing.</summary>
    public string WriteTo(string path)
    {
        string block = StartMarker + "\n" + ToMarkdown() + EndMarker;
        string existing = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n";
        int start = existing.IndexOf(StartMarker, StringComparison.Ordinal);
        int end = existing.IndexOf(EndMarker, StringComparison.Ordinal);
        string updated =
            start >= 0 && end > start
                ? existing[..start] + block + existing[(end + EndMarker.Length)..]
                : existing.TrimEnd() + "\n\n" + SectionHeading + "\n\n" + block + "\n";
        File.WriteAllText(path, updated);
        return path;
    }

    /// <summary>
    /// CPU per request of each party, from /proc: on a shared machine the rates move with the
    /// neighbours' load, but what one request costs does not, and on 2 cores it bounds the rate.
    /// </summary>
    private void AppendCpu(StringBuilder text)
    {
        var rows = anchors
            .Where(a => a.Cpu is not null)
            .Select(
                (a, i) =>
                    (
                        $"anchor run {i + 1} (pgbench as client)",
                        a.Cpu!.PerRequest(a.Transactions),
                        a.Cpu.StolenShare
                    )
            )
            .Concat(
                results
                    .Where(r => r.Cpu is not null)
                    .Select(r =>
                        (
                            $"{r.Scenario}. {r.Name}, group commit {(r.GroupCommit ? "on" : "off")}",
                            r.Cpu!.PerRequest(r.Requests),
                            r.Cpu.StolenShare
                        )
                    )
            )
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }
        text.AppendLine(
            "CPU per request (µs, from /proc; all requests of the run, reads included), and the "
                + "share of the machine's CPU time its host gave to other guests during the run "
                + "(steal, from /proc/stat):"
        );
        text.AppendLine();
        text.AppendLine("| run | client | API | PostgreSQL | total | stolen by the host |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach ((string name, var per, double stolen) in rows)
        {
            text.AppendLine(
                $"| {name} | {per.Client:F0} | {per.Api:F0} | {per.Postgres:F0} | {per.Total:F0} "
                    + $"| {stolen * 100:F0}% |"
            );
        }
        text.AppendLine();
    }

    private void AppendAnchorAndGoals(StringBuilder text)
    {
        string runs = string.Join(
            "; ",
            anchors.Select(
                (a, i) =>
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"run {i + 1}: {a.TransactionsPerSecond:N0} TPS, mean latency {a.LatencyAverageMilliseconds:F2} ms"
                    )
            )
        );
        text.AppendLine(
            $"Anchor (pgbench, same PostgreSQL, -c {options.Clients} -j 2 -T {options.Seconds}): {runs}; "
                + $"mean {AnchorTps:N0} TPS."
        );
        text.AppendLine();
        if (Paired(groupCommit: false).FirstOrDefault() is { } before)
        {
            text.AppendLine(
                $"- Ratio before (group commit off): {Describe(before)} = **{before.Ratio:F2}**"
            );
        }
        var after = Paired(groupCommit: true);
        if (after.Count > 0)
        {
            double median = after.Select(p => p.Ratio).Order().ElementAt(after.Count / 2);
            text.AppendLine(
                $"- Ratio after (group commit on), the median of {after.Count} rounds, each against "
                    + $"the anchor runs right before and after it: **{median:F2}** (goal ≥ "
                    + $"{RatioGoal:F1}: {Verdict(median >= RatioGoal)}); "
                    + string.Join("; ", after.Select(p => $"{Describe(p)} = {p.Ratio:F2}"))
            );
            double overall = after.Average(p => p.ReservesPerSecond) / AnchorTps;
            text.AppendLine(
                $"- For comparison, the mean of those rounds against the mean of every anchor run: "
                    + $"{overall:F2}"
            );
        }
        foreach (int scenario in new[] { 1, 2, 3 })
        {
            var ops = results
                .Where(r => r.Scenario == scenario && r.GroupCommit && !r.Name.Contains("queries"))
                .SelectMany(r => r.Operations)
                .ToList();
            if (ops.Count > 0)
            {
                double p99 = ops.Max(o => o.P99Milliseconds);
                text.AppendLine(
                    $"- Scenario {scenario} p99: {p99:F1} ms (goal ≤ {WriteP99GoalMilliseconds:F0} ms: "
                        + $"{Verdict(p99 <= WriteP99GoalMilliseconds)})"
                );
            }
        }
        AppendQueryGoals(text);
    }

    private void AppendQueryGoals(StringBuilder text)
    {
        OperationStats? alone = results
            .FirstOrDefault(r => r.Name.EndsWith(" alone", StringComparison.Ordinal))
            ?.Find("balance query");
        OperationStats? underLoad = results
            .FirstOrDefault(r => r.Name.EndsWith("with queries", StringComparison.Ordinal))
            ?.Find("balance query");
        if (alone is not null)
        {
            text.AppendLine(
                $"- Balance queries alone: {alone.RequestsPerSecond:N0}/s (goal ≥ {QueryRateGoalPerSecond:N0}: "
                    + $"{Verdict(alone.RequestsPerSecond >= QueryRateGoalPerSecond)})"
            );
        }
        if (underLoad is not null)
        {
            text.AppendLine(
                $"- Balance query p99 under scenario 1: {underLoad.P99Milliseconds:F1} ms (goal ≤ "
                    + $"{QueryP99GoalMilliseconds:F0} ms: {Verdict(underLoad.P99Milliseconds <= QueryP99GoalMilliseconds)})"
            );
        }
    }

    /// <summary>Scenario 1's reserve rate in each run, with the anchor runs beside it.</summary>
    private List<PairedRun> Paired(bool groupCommit) =>
        [
            .. results
                .Where(r =>
                    r.Scenario == 1 && r.GroupCommit == groupCommit && r.Anchors is not null
                )
                .Select(r => new PairedRun(
                    r.Find("reserve")!.RequestsPerSecond,
                    anchors[r.Anchors!.Value.Before].TransactionsPerSecond,
                    anchors[r.Anchors!.Value.After].TransactionsPerSecond
                )),
        ];

    private static string Describe(PairedRun p) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{p.ReservesPerSecond:N0} reserves/s ÷ {p.AnchorTps:N0} (anchors {p.AnchorBeforeTps:N0}, {p.AnchorAfterTps:N0})"
        );

    private sealed record PairedRun(
        double ReservesPerSecond,
        double AnchorBeforeTps,
        double AnchorAfterTps
    )
    {
        public double AnchorTps => (AnchorBeforeTps + AnchorAfterTps) / 2;

        public double Ratio => ReservesPerSecond / AnchorTps;
    }

    private static string Verdict(bool met) => met ? "met" : "not met";
}
