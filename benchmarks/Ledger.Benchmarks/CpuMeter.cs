using System.Diagnostics;
using System.Globalization;

namespace Ledger.Benchmarks;

/// <summary>
/// CPU seconds used so far by this process and by the local PostgreSQL (the postmaster, its
/// live backends, and the backends it has reaped). Wall-clock rates depend on whatever else
/// the machine runs; CPU per event does not, so the benchmark reports both.
/// </summary>
public sealed class CpuMeter(string? dataDirectory)
{
    /// <summary>USER_HZ: /proc reports CPU time in these ticks on Linux.</summary>
    private const double TicksPerSecond = 100;

    // Fields of /proc/PID/stat, counted from the state (field 3) at index 0.
    private const int ParentIndex = 4 - 3;
    private const int UserTimeIndex = 14 - 3;
    private const int ChildrenSystemTimeIndex = 17 - 3;

    public (double Client, double Server) Now() =>
        (Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, ServerSeconds());

    private double ServerSeconds()
    {
        string? pidFile = dataDirectory is null
            ? null
            : Path.Combine(dataDirectory, "postmaster.pid");
        if (pidFile is null || !File.Exists(pidFile))
        {
            return double.NaN;
        }
        string postmaster = File.ReadLines(pidFile).First().Trim();
        // The postmaster's own time and its reaped children's (cutime, cstime) ...
        double ticks =
            Fields(postmaster)?[UserTimeIndex..(ChildrenSystemTimeIndex + 1)].Sum(Parse) ?? 0;
        // ... and its live children's.
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            string pid = Path.GetFileName(directory);
            if (
                pid.All(char.IsAsciiDigit)
                && Fields(pid) is { } fields
                && fields[ParentIndex] == postmaster
            )
            {
                ticks += Parse(fields[UserTimeIndex]) + Parse(fields[UserTimeIndex + 1]);
            }
        }
        return ticks / TicksPerSecond;
    }

    private static string[]? Fields(string pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static double Parse(string field) => double.Parse(field, CultureInfo.InvariantCulture);
}
