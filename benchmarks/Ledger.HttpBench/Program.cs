using System.CommandLine;
using Ledger.HttpBench;

// dotnet run -c Release --project benchmarks/Ledger.HttpBench -- --clients 32 --seconds 10
var clients = new Option<int>("--clients")
{
    Description = "Concurrent clients C, for the ledger and for the pgbench anchor",
    DefaultValueFactory = _ => BenchOptions.ClientsDefault,
};
var seconds = new Option<int>("--seconds")
{
    Description = "Measured seconds per scenario (tokens live 60 s: keep it at most 20)",
    DefaultValueFactory = _ => BenchOptions.SecondsDefault,
};
var scenarios = new Option<int[]>("--scenario")
{
    Description = "Scenarios to run, 1-5 (default: all)",
    AllowMultipleArgumentsPerToken = true,
};
var connection = new Option<string?>("--connection")
{
    Description =
        "A PostgreSQL connection string; default LEDGER_BENCH_CONNECTION, else a throwaway "
        + "durable local cluster",
};
var noBefore = new Option<bool>("--no-before")
{
    Description = "Skip scenario 1 with Ledger:GroupCommit=false (the 'before' ratio)",
};
var noDocs = new Option<bool>("--no-docs")
{
    Description = "Print the results only; do not write docs/benchmarks.md",
};
var traceTool = new Option<string?>("--trace-tool")
{
    Description =
        "Path to dotnet-trace: samples the API's threads during each measured run into "
        + "/tmp/httpbench/ and prints the top methods",
};
var root = new RootCommand(
    "Ledger HTTP benchmark: the real API against the pgbench anchor, in one run"
)
{
    clients,
    seconds,
    scenarios,
    connection,
    noBefore,
    noDocs,
    traceTool,
};
root.SetAction(
    async (parse, cancellationToken) =>
    {
        var options = new BenchOptions(
            parse.GetValue(clients),
            parse.GetValue(seconds),
            parse.GetValue(scenarios) is { Length: > 0 } chosen
                ? chosen
                : BenchOptions.AllScenarios,
            parse.GetValue(connection)
                ?? Environment.GetEnvironmentVariable("LEDGER_BENCH_CONNECTION"),
            RunBefore: !parse.GetValue(noBefore),
            WriteDocs: !parse.GetValue(noDocs),
            CommandLine: "dotnet run -c Release --project benchmarks/Ledger.HttpBench -- "
                + string.Join(' ', args),
            parse.GetValue(traceTool)
        );
        options.Validate();
        return await BenchRun.RunAsync(options, cancellationToken);
    }
);
return await root.Parse(args).InvokeAsync();
