using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ledger.BitGoAuth;
using Ledger.LocalPostgres;

namespace Ledger.Torture;

/// <summary>The outcome of a run: its figures, and the report that prints them.</summary>
public sealed record TortureResult(Figures Figures, string Report)
{
    public bool Passed => Figures.DiscrepancyCount == 0;
}

/// <summary>
/// One run: a durable PostgreSQL of its own, the API as a child process, workers that send
/// BitGo's calls while the fault injector kills and stalls things, then a drain (every
/// request answered) and the end checks.
/// </summary>
public static class TortureRun
{
    /// <summary>
    /// Beyond the workload, the most a run may take (drain, checks, replay, audit): this, plus
    /// as much again as the workload, since the replay grows with it.
    /// </summary>
    public const int OverrunSecondsMin = 900;

    private const int RsaKeyBits = 2048;

    public static async Task<TortureResult> RunAsync(TortureOptions options)
    {
        options.Validate();
        TextWriter log = options.Log;
        string mode = options.Mode.ToString().ToLowerInvariant();
        string canary = options.Durable ? "" : ", PostgreSQL NOT durable (canary)";
        log.WriteLine(
            $"torture: seed {options.Seed}, mode {mode}, "
                + $"workload {options.DurationSeconds} s{canary}"
        );
        var figures = new Figures();
        var clock = Stopwatch.StartNew();
        using var abort = new CancellationTokenSource(
            TimeSpan.FromSeconds(2 * options.DurationSeconds + OverrunSecondsMin)
        );
        string root = Path.Combine(Path.GetTempPath(), $"ledger-torture-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        LocalPostgresCluster? cluster = null;
        ApiProcess? api = null;
        try
        {
            // Durable: a run that turned fsync off would lose acknowledged commits on the
            // immediate stop, which is the very thing under test (--non-durable shows it).
            cluster = await LocalPostgresCluster.StartAsync(
                new LocalPostgresOptions
                {
                    RootDirectory = Path.Combine(root, "postgres"),
                    Throwaway = true,
                    Durable = options.Durable,
                },
                abort.Token
            );
            string apiDirectory = Directory.CreateDirectory(Path.Combine(root, "api")).FullName;
            using RSA key = RSA.Create(RsaKeyBits);
            using var minter = new BitGoTokenMinter(key, TimeProvider.System);
            api = new ApiProcess(
                options.ResolveApiDll(),
                cluster.ConnectionString,
                key.ExportSubjectPublicKeyInfoPem(),
                apiDirectory
            );
            await api.StartAsync(abort.Token);
            log.WriteLine(
                $"torture: API on {api.BaseAddress}, PostgreSQL on port {cluster.Port}, "
                    + $"files in {root}"
            );
            using var client = new LedgerClient(api.BaseAddress, minter, figures);
            await RunWorkloadAsync(options, api, cluster, client, figures, clock, abort.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            figures.Discrepancy($"harness: {e.GetType().Name}: {e.Message}");
            if (api is not null)
            {
                log.WriteLine($"API log tail:\n{api.LogTail()}");
            }
        }
        finally
        {
            if (api is not null)
            {
                await api.DisposeAsync();
            }
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
            if (figures.DiscrepancyCount == 0)
            {
                TryDelete(root);
            }
            else
            {
                string apiLog = Path.Combine(root, "api", "api.log");
                log.WriteLine($"torture: the API's log is kept in {apiLog}");
            }
        }
        string report = figures.Report(options, clock.Elapsed);
        log.WriteLine(report);
        return new TortureResult(figures, report);
    }

    private static async Task RunWorkloadAsync(
        TortureOptions options,
        ApiProcess api,
        LocalPostgresCluster cluster,
        LedgerClient client,
        Figures figures,
        Stopwatch clock,
        CancellationToken abort
    )
    {
        var seeded = new Random(options.Seed);
        var setup = new List<Acknowledgement>();
        var connections = new List<HarnessConnection>();
        for (int i = 0; i < options.Connections; i++)
        {
            connections.Add(
                await ActivateAsync(
                    client,
                    Worker.NewId(seeded),
                    Worker.NewId(seeded),
                    Worker.NewId(seeded),
                    setup,
                    abort
                )
            );
        }
        IReadOnlyList<ScheduledFault> schedule = FaultSchedule.Create(options);
        options.Log.WriteLine(
            $"torture: {connections.Count} connections active; faults scheduled: "
                + string.Join(", ", schedule.Select(f => $"{f.Kind}@{f.At.TotalSeconds:F0}s"))
        );
        var shared = new SharedBalances([.. connections.Take(TortureOptions.SharedConnections)]);
        List<HarnessConnection> owned = [.. connections.Skip(TortureOptions.SharedConnections)];
        List<Worker> workers =
        [
            .. Enumerable
                .Range(0, options.Workers)
                .Select(w => new Worker(
                    w,
                    options.Seed,
                    client,
                    figures,
                    [.. owned.Where((_, i) => i % options.Workers == w)],
                    shared
                )),
        ];
        TimeSpan start = clock.Elapsed;
        using var stop = new CancellationTokenSource();
        var injector = new FaultInjector(api, cluster, figures, options.Log, clock);
        Task faults = injector.RunAsync(
            [.. schedule.Select(f => f with { At = f.At + start })],
            options.Mode == TortureMode.Long ? stop.Token : CancellationToken.None,
            abort
        );
        List<Task> running =
        [
            .. workers.Select(w => Task.Run(() => w.RunAsync(stop.Token, abort), abort)),
        ];
        await Task.Delay(TimeSpan.FromSeconds(options.DurationSeconds), abort);
        // The short mode's faults are its promise (at least 3 kills and 1 restart): the workload
        // runs on until the last has been injected.
        if (options.Mode == TortureMode.Long)
        {
            stop.Cancel();
        }
        await faults;
        stop.Cancel();
        options.Log.WriteLine(
            $"torture: workload over at {clock.Elapsed.TotalSeconds:F0} s; draining"
        );
        await Task.WhenAll(running);
        await new Verifier(
            api,
            client,
            ConnectionStringOf(cluster),
            figures,
            options.Log
        ).VerifyAsync(workers, shared, setup, connections, abort);
    }

    private static async Task<HarnessConnection> ActivateAsync(
        LedgerClient client,
        Guid clientId,
        Guid connectionId,
        Guid partnerId,
        List<Acknowledgement> setup,
        CancellationToken abort
    )
    {
        var request = new HarnessRequest(
            HttpMethod.Post,
            "/bitgo/v1/connections",
            new JsonObject
            {
                ["clientId"] = clientId.ToString(),
                ["clientWalletId"] = "wallet-" + connectionId.ToString("N")[..8],
                ["connectionId"] = connectionId.ToString(),
                ["connectionToken"] = "token-" + connectionId.ToString("N"),
                ["partnerId"] = partnerId.ToString(),
            }.ToJsonString()
        );
        HarnessAnswer answer = await client.SendUntilAnsweredAsync(
            request,
            new Random(0),
            0,
            abort
        );
        if (
            answer.Status != 200
            || answer.Member("partnersConnectionId") is not { } partnersConnectionId
            || answer.Member("partnersClientId") is not { } partnersClientId
        )
        {
            throw new InvalidOperationException($"activation of {connectionId} failed: {answer}");
        }
        setup.Add(new Acknowledgement(request, answer));
        return new HarnessConnection(
            clientId,
            connectionId,
            partnersConnectionId,
            partnersClientId
        );
    }

    private static string ConnectionStringOf(LocalPostgresCluster cluster) =>
        new Npgsql.NpgsqlConnectionStringBuilder(cluster.ConnectionString)
        {
            Pooling = false,
        }.ConnectionString;

    private static void TryDelete(string root)
    {
        try
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
        catch (IOException)
        {
            // Scratch space under /tmp; a leftover is harmless.
        }
    }
}
