using System.Diagnostics;
using Ledger.Api.Audit;
using Ledger.Api.Hosting;
using Ledger.EventStore;
using Npgsql;

namespace Ledger.Benchmarks;

public sealed record BenchOptions(
    long EventsTarget,
    int Runs,
    bool VerifyOnly,
    bool WriteDocs,
    string CommandLine
);

/// <summary>What one run measured. Rates are wall-clock; CPU is per event, from /proc.</summary>
public sealed record RunResult(
    int Run,
    string LoadBefore,
    double RawCopyRowsPerSecond,
    double VerifyQueryRowsPerSecond,
    AuditResult Verify,
    CpuPerEvent VerifyCpu,
    RebuildResult? Rebuild,
    CpuPerEvent? RebuildCpu
);

/// <summary>Microseconds of CPU per event: this process, and PostgreSQL.</summary>
public sealed record CpuPerEvent(double Client, double Postgres)
{
    /// <summary>The rate the machine's cores could sustain if nothing else ran on them.</summary>
    public double CeilingPerSecond => Environment.ProcessorCount * 1e6 / (Client + Postgres);
}

/// <summary>Seeds the log once, then measures each run: anchors, verify, rebuild.</summary>
public sealed class AuditBenchmark(
    BenchOptions options,
    string connectionString,
    string? dataDirectory
)
{
    private const string RawCopySql = "COPY ledger.events TO STDOUT (FORMAT BINARY)";

    private const string VerifyQueryCopySql = """
        COPY (SELECT seq, stream_id, version, type, data::text, metadata::text, recorded_at, hash
              FROM ledger.events ORDER BY seq) TO STDOUT (FORMAT BINARY)
        """;

    private readonly CpuMeter _cpu = new(dataDirectory);

    public async Task<BenchReport> RunAsync()
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { CommandTimeout = 0 };
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(builder);
        await SchemaApplier.ApplyAsync(dataSource, LedgerDatabase.Scripts);
        EventTypeRegistry registry = LedgerEvents.CreateRegistry();
        long events = await Setup.EnsureSeededAsync(dataSource, registry, options.EventsTarget);
        string setup = await Setup.DescribeAsync(dataSource, events, dataDirectory is not null);
        Console.WriteLine(setup);
        var results = new List<RunResult>();
        for (int run = 1; run <= options.Runs; run++)
        {
            results.Add(await RunOnceAsync(dataSource, registry, run));
        }
        return new BenchReport(options, setup, results);
    }

    private async Task<RunResult> RunOnceAsync(
        NpgsqlDataSource dataSource,
        EventTypeRegistry registry,
        int run
    )
    {
        // Other processes on the machine skew every figure; the load average says how much.
        string load = Setup.LoadAverage();
        Console.WriteLine($"--- run {run} of {options.Runs} (load average {load})");
        double raw = options.VerifyOnly ? double.NaN : await RawCopyAsync(dataSource, RawCopySql);
        double query = options.VerifyOnly
            ? double.NaN
            : await RawCopyAsync(dataSource, VerifyQueryCopySql);
        Console.WriteLine(
            $"anchor: raw COPY ledger.events {raw:N0} rows/s; raw COPY of verify's "
                + $"query (data::text, ORDER BY seq) {query:N0} rows/s"
        );

        var report = new StringWriter();
        (AuditResult verify, CpuPerEvent verifyCpu) = await MeasureAsync(
            () => new AuditVerifier(dataSource, registry, report, Console.Error).VerifyAsync(),
            r => r.Events
        );
        Console.WriteLine(verify.Clean ? "verify: clean" : report.ToString());
        Console.WriteLine(
            $"audit verify: {verify.Events:N0} events in "
                + $"{verify.Elapsed.TotalSeconds:N2} s = {verify.EventsPerSecond:N0} events/s, "
                + $"ratio to raw COPY {verify.EventsPerSecond / raw:N2}; "
                + $"CPU {verifyCpu.Client:N2} + {verifyCpu.Postgres:N2} us/event, ceiling "
                + $"{verifyCpu.CeilingPerSecond:N0}/s; phases {verify.Phases}"
        );
        if (options.VerifyOnly)
        {
            return new RunResult(run, load, raw, query, verify, verifyCpu, null, null);
        }
        (RebuildResult rebuild, CpuPerEvent rebuildCpu) = await MeasureAsync(
            () => new ProjectionRebuilder(dataSource, registry, Console.Error).RebuildAsync(),
            r => r.Events + r.CatchUpEvents
        );
        Console.WriteLine(
            $"projections rebuild: {rebuild}; CPU {rebuildCpu.Client:N2} + "
                + $"{rebuildCpu.Postgres:N2} us/event, ceiling {rebuildCpu.CeilingPerSecond:N0}/s"
        );
        return new RunResult(run, load, raw, query, verify, verifyCpu, rebuild, rebuildCpu);
    }

    private async Task<(T Result, CpuPerEvent Cpu)> MeasureAsync<T>(
        Func<Task<T>> work,
        Func<T, long> events
    )
    {
        var (client, server) = _cpu.Now();
        T result = await work();
        var (clientAfter, serverAfter) = _cpu.Now();
        double count = events(result);
        return (
            result,
            new CpuPerEvent(
                (clientAfter - client) / count * 1e6,
                (serverAfter - server) / count * 1e6
            )
        );
    }

    /// <summary>
    /// Reads a COPY's bytes and nothing else: the fastest the log leaves the server.
    /// </summary>
    private static async Task<double> RawCopyAsync(NpgsqlDataSource dataSource, string copy)
    {
        long rows = await Setup.ScalarAsync(dataSource, "SELECT count(*) FROM ledger.events");
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync();
        var clock = Stopwatch.StartNew();
        await using (NpgsqlRawCopyStream stream = await connection.BeginRawBinaryCopyAsync(copy))
        {
            byte[] buffer = new byte[1 << 16];
            while (await stream.ReadAsync(buffer.AsMemory(), CancellationToken.None) > 0) { }
        }
        return rows / clock.Elapsed.TotalSeconds;
    }
}
