using System.Globalization;
using Ledger.Benchmarks;
using Ledger.LocalPostgres;

// dotnet run -c Release --project benchmarks/Ledger.Benchmarks -- audit --events 1000000
//
// Seeds a log of realistic streams (once: the cluster is kept under /tmp and reused), then
// times audit verify and projections rebuild by calling their classes, against an anchor
// from the same run: a plain COPY of ledger.events read without any processing. Writes the
// run into docs/benchmarks.md (between its markers) unless --no-docs is given.
// LEDGER_BENCH_CONNECTION points at an existing database instead of the local cluster.

const string ConnectionVariable = "LEDGER_BENCH_CONNECTION";

if (args.Length < 1 || args[0] != "audit")
{
    Console.Error.WriteLine(
        "usage: Ledger.Benchmarks audit [--events N] [--runs R] [--verify-only] [--no-docs]"
    );
    return 2;
}
var options = new BenchOptions(
    EventsTarget: Option(args, "--events", 1_000_000),
    Runs: (int)Option(args, "--runs", 3),
    VerifyOnly: args.Contains("--verify-only"),
    WriteDocs: !args.Contains("--no-docs"),
    CommandLine: "dotnet run -c Release --project benchmarks/Ledger.Benchmarks -- "
        + string.Join(' ', args)
);

LocalPostgresCluster? cluster = null;
string? connectionString = Environment.GetEnvironmentVariable(ConnectionVariable);
if (string.IsNullOrWhiteSpace(connectionString))
{
    string root = Path.Combine(Path.GetTempPath(), $"ledger-bench-{options.EventsTarget}");
    Console.Error.WriteLine($"local PostgreSQL (durable) in {root}");
    cluster = await LocalPostgresCluster.StartAsync(
        new LocalPostgresOptions { RootDirectory = root }
    );
    connectionString = cluster.ConnectionString;
}
try
{
    BenchReport report = await new AuditBenchmark(
        options,
        connectionString,
        cluster?.DataDirectory
    ).RunAsync();
    if (options.WriteDocs && !options.VerifyOnly)
    {
        Console.WriteLine($"wrote {report.WriteTo(BenchReport.DocsPath())}");
    }
    return report.AllClean ? 0 : 1;
}
finally
{
    if (cluster is not null)
    {
        await cluster.StopAsync();
    }
}

static long Option(string[] args, string name, long fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length
        ? long.Parse(args[at + 1], NumberStyles.None, CultureInfo.InvariantCulture)
        : fallback;
}
