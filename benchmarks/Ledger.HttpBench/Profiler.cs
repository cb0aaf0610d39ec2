using System.Globalization;

namespace Ledger.HttpBench;

/// <summary>
/// Optional profiling of the API during a measured run (issue 8: profile before optimising):
/// dotnet-trace samples every managed thread's stack for the run's duration, and the report
/// lists the methods most often on the stack.
/// </summary>
public static class Profiler
{
    private const int TopMethods = 30;

    public static async Task<string> TraceAsync(
        string? tool,
        int processId,
        string name,
        int seconds
    )
    {
        if (tool is null)
        {
            return "";
        }
        string directory = Path.Combine(Path.GetTempPath(), "httpbench");
        Directory.CreateDirectory(directory);
        string output = Path.Combine(directory, $"trace-{name}.nettrace");
        string duration = TimeSpan
            .FromSeconds(seconds)
            .ToString(@"dd\:hh\:mm\:ss", CultureInfo.InvariantCulture);
        await ChildProcess.RunAsync(
            tool,
            [
                "collect",
                "-p",
                processId.ToString(CultureInfo.InvariantCulture),
                "--duration",
                duration,
                "-o",
                output,
                "--profile",
                "dotnet-sampled-thread-time",
            ],
            null,
            CancellationToken.None,
            throwOnFailure: false
        );
        (_, string exclusive) = await ChildProcess.RunAsync(
            tool,
            ["report", output, "topN", "-n", $"{TopMethods}"],
            null,
            CancellationToken.None,
            throwOnFailure: false
        );
        (_, string inclusive) = await ChildProcess.RunAsync(
            tool,
            ["report", output, "topN", "-n", $"{TopMethods}", "--inclusive"],
            null,
            CancellationToken.None,
            throwOnFailure: false
        );
        string report = $"trace {output}\nexclusive:\n{exclusive}\ninclusive:\n{inclusive}\n";
        await File.WriteAllTextAsync(Path.ChangeExtension(output, ".txt"), report);
        return $"    trace written to {output} (top methods in {Path.ChangeExtension(output, ".txt")})\n";
    }
}
