using System.Diagnostics;

namespace Ledger.HttpBench;

/// <summary>
/// The whole run, in order: PostgreSQL, the anchor, the API and its accounts, scenario 1
/// without group commit ("before") and the anchor again, then every chosen scenario with it,
/// scenario 1 <see cref="BenchOptions.RatioRounds"/> times with the anchor after each round,
/// then the checks and the report. Each scenario-1 run is compared with the two anchor runs
/// beside it, so the machine's drift between distant runs does not enter its ratio.
/// </summary>
public static class BenchRun
{
    public static async Task<int> RunAsync(
        BenchOptions options,
        CancellationToken cancellationToken
    )
    {
        var total = Stopwatch.StartNew();
        var machine = MachineInfo.Read();
        Console.WriteLine($"machine: {machine.Description}; load before: {machine.LoadAverage}");
        string root = ApiHost.RepositoryRoot();
        Console.WriteLine("building src/Ledger.Api in Release ...");
        await ApiHost.BuildAsync(root, cancellationToken);
        await using BenchDatabase database = await BenchDatabase.OpenAsync(
            options.ConnectionString,
            cancellationToken
        );
        Console.WriteLine(database.Description);
        if (!database.IsDurable)
        {
            Console.WriteLine(
                "WARNING: fsync or synchronous_commit is off; the numbers are not durable ones"
            );
        }
        await Anchor.PrepareAsync(database.ConnectionString, cancellationToken);
        CpuMeter? meter = await CpuMeter.ForAsync(database.ConnectionString, cancellationToken);
        var anchors = new AnchorRuns(() =>
            RunAnchorAsync(database, options, meter, cancellationToken)
        );
        await anchors.RunAsync();
        using var signer = new Signer();
        var results = new List<ScenarioResult>();
        IReadOnlyList<BenchAccount> accounts;
        List<Step> journal;
        await using (
            ApiHost setupHost = await StartApiAsync(root, database, signer, true, cancellationToken)
        )
        {
            using HttpClient setupClient = Driver.CreateClient(
                setupHost.Address,
                options.Clients * 2
            );
            Console.WriteLine(
                $"preparing {BenchOptions.AccountCount:N0} funded client balances ..."
            );
            accounts = await Accounts.PrepareAsync(
                setupClient,
                signer,
                BenchOptions.AccountCount,
                options.Clients
            );
        }
        var workload = new Workload(accounts, seed: 8);
        journal = [];
        if (options.RunBefore && options.Scenarios.Contains(1))
        {
            results.Add(
                (
                    await RunScenariosAsync(
                        root,
                        database,
                        signer,
                        workload,
                        options,
                        [1],
                        groupCommit: false,
                        journal,
                        meter,
                        anchors,
                        cancellationToken
                    )
                )[0]
            );
        }
        results.AddRange(
            await RunScenariosAsync(
                root,
                database,
                signer,
                workload,
                options,
                options.Scenarios,
                groupCommit: true,
                journal,
                meter,
                anchors,
                cancellationToken
            )
        );
        Console.WriteLine("checking: audit verify and invariants ...");
        IReadOnlyList<string> checks = await Checks.RunAsync(
            root,
            database.ConnectionString,
            accounts,
            journal,
            cancellationToken
        );
        var report = new Report(
            options,
            machine,
            database.Description,
            anchors.All,
            results,
            checks,
            total.Elapsed
        );
        string markdown = report.ToMarkdown();
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (options.WriteDocs)
        {
            string path = report.WriteTo(Path.Combine(root, "docs", "benchmarks.md"));
            Console.WriteLine($"written to {path}");
        }
        return report.Passed ? 0 : 1;
    }

    private static async Task<List<ScenarioResult>> RunScenariosAsync(
        string root,
        BenchDatabase database,
        Signer signer,
        Workload workload,
        BenchOptions options,
        int[] scenarios,
        bool groupCommit,
        List<Step> journal,
        CpuMeter? meter,
        AnchorRuns anchors,
        CancellationToken cancellationToken
    )
    {
        var results = new List<ScenarioResult>();
        await using ApiHost host = await StartApiAsync(
            root,
            database,
            signer,
            groupCommit,
            cancellationToken
        );
        Console.WriteLine($"API pid {host.ProcessId} on {host.Address} (log: {host.LogPath})");
        // Writers and readers each get a connection; a client never waits for a socket.
        using HttpClient http = Driver.CreateClient(host.Address, options.Clients * 3);
        var runner = new ScenarioRunner(
            new Driver(http),
            signer,
            workload,
            options,
            host.ProcessId,
            meter
        );
        Console.WriteLine("warming up the API (every path, up to 15 s) ...");
        await runner.WarmUpAsync();
        foreach (int scenario in scenarios)
        {
            await database.SettleAsync(cancellationToken);
            Console.WriteLine(
                $"scenario {scenario} ({ScenarioRunner.NameOf(scenario)}), group commit "
                    + $"{(groupCommit ? "on" : "off")}, C = {options.Clients}, {options.Seconds} s ..."
            );
            if (scenario == 5)
            {
                results.Add(Print(await runner.RunReadsAloneAsync(groupCommit)));
                results.Add(
                    Print(
                        await runner.RunWritesAsync(
                            1,
                            groupCommit,
                            readers: Math.Max(1, options.Clients / 4)
                        )
                    )
                );
            }
            else if (scenario == 1)
            {
                // Paired with the anchor runs beside it: the latest one before it (the API's
                // warm-up may lie between) and one right after it.
                int rounds = groupCommit ? BenchOptions.RatioRounds : 1;
                for (int round = 1; round <= rounds; round++)
                {
                    if (round > 1)
                    {
                        await database.SettleAsync(cancellationToken);
                    }
                    int before = anchors.Latest;
                    ScenarioResult result = Print(await runner.RunWritesAsync(1, groupCommit));
                    results.Add(
                        result with
                        {
                            Name = rounds > 1 ? $"{result.Name}, round {round}" : result.Name,
                            Anchors = (before, await anchors.RunAsync()),
                        }
                    );
                }
            }
            else
            {
                results.Add(Print(await runner.RunWritesAsync(scenario, groupCommit)));
            }
        }
        journal.AddRange(runner.Journal);
        return results;
    }

    private static ScenarioResult Print(ScenarioResult result)
    {
        foreach (OperationStats o in result.Operations)
        {
            Console.WriteLine(
                $"    {o.Operation, -14} {o.Requests, 8:N0} req {o.RequestsPerSecond, 8:N0}/s  "
                    + $"p50 {o.P50Milliseconds, 6:F1}  p99 {o.P99Milliseconds, 6:F1}  max {o.MaxMilliseconds, 7:F1} ms"
                    + $"  non-2xx {o.Unexpected}  rejected {o.Rejected}"
            );
        }
        if (result.Cpu is { } cpu)
        {
            var per = cpu.PerRequest(result.Requests);
            Console.WriteLine(
                $"    CPU per request: client {per.Client:F0} + API {per.Api:F0} + PostgreSQL "
                    + $"{per.Postgres:F0} = {per.Total:F0} µs; stolen by the host {cpu.StolenShare * 100:F0}%"
            );
        }
        if (result.Note.Length > 0)
        {
            Console.WriteLine("    note: " + result.Note);
        }
        return result;
    }

    private static Task<ApiHost> StartApiAsync(
        string root,
        BenchDatabase database,
        Signer signer,
        bool groupCommit,
        CancellationToken cancellationToken
    ) =>
        ApiHost.StartAsync(
            root,
            database.ConnectionString,
            signer.PublicKeyPem,
            groupCommit,
            cancellationToken
        );

    private static async Task<AnchorResult> RunAnchorAsync(
        BenchDatabase database,
        BenchOptions options,
        CpuMeter? meter,
        CancellationToken cancellationToken
    )
    {
        await database.SettleAsync(cancellationToken);
        Console.WriteLine($"anchor: pgbench -c {options.Clients} -T {options.Seconds} ...");
        long pgbenchBefore = meter?.ReapedChildren() ?? 0;
        long postgresBefore = meter?.Postgres() ?? 0;
        var machineBefore = CpuMeter.MachineTicks();
        AnchorResult anchor = await Anchor.RunAsync(
            database.ConnectionString,
            options.Clients,
            options.Seconds,
            cancellationToken
        );
        if (meter is not null)
        {
            anchor = anchor with
            {
                Cpu = new CpuUse(
                    meter.Seconds(meter.ReapedChildren() - pgbenchBefore),
                    0,
                    meter.Seconds(meter.Postgres() - postgresBefore)
                )
                {
                    StolenShare = CpuMeter.StolenShare(machineBefore, CpuMeter.MachineTicks()),
                },
            };
        }
        Console.WriteLine(
            $"    {anchor.TransactionsPerSecond:N0} TPS, mean latency "
                + $"{anchor.LatencyAverageMilliseconds:F2} ms, {anchor.Failed} failed"
        );
        if (anchor.Cpu is { } cpu)
        {
            var per = cpu.PerRequest(anchor.Transactions);
            Console.WriteLine(
                $"    CPU per transaction: pgbench {per.Client:F0} + PostgreSQL {per.Postgres:F0} "
                    + $"= {per.Total:F0} µs; stolen by the host {cpu.StolenShare * 100:F0}%"
            );
        }
        return anchor;
    }

    /// <summary>The anchor runs in the order they ran; a scenario-1 run names its two by index.</summary>
    private sealed class AnchorRuns(Func<Task<AnchorResult>> run)
    {
        public List<AnchorResult> All { get; } = [];

        public int Latest => All.Count - 1;

        public async Task<int> RunAsync()
        {
            All.Add(await run());
            return Latest;
        }
    }
}
