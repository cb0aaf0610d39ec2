using System.Runtime.InteropServices;

namespace Ledger.HttpBench;

/// <summary>The machine a run was measured on, for the report: numbers without it mean little.</summary>
public sealed record MachineInfo(string Description, string LoadAverage)
{
    public static MachineInfo Read()
    {
        string cpu =
            FirstValue("/proc/cpuinfo", "model name")
            ?? RuntimeInformation.ProcessArchitecture.ToString();
        string memory =
            FirstValue("/proc/meminfo", "MemTotal") is { } kb
            && long.TryParse(
                kb.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0],
                out long kilobytes
            )
                ? $"{kilobytes / (1024.0 * 1024.0):F0} GiB"
                : "unknown memory";
        return new MachineInfo(
            $"{cpu}, {Environment.ProcessorCount} cores, {memory}, {RuntimeInformation.OSDescription}, "
                + $".NET {Environment.Version}",
            LoadAverageNow()
        );
    }

    public static string LoadAverageNow() =>
        File.Exists("/proc/loadavg")
            ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3))
            : "unknown";

    private static string? FirstValue(string path, string key)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        return File.ReadLines(path)
            .Where(line => line.StartsWith(key, StringComparison.Ordinal))
            .Select(line => line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())
            .FirstOrDefault();
    }
}
