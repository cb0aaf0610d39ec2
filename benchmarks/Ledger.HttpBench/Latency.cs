using System.Diagnostics;

namespace Ledger.HttpBench;

/// <summary>One operation's throughput and latency in a run.</summary>
public sealed record OperationStats(
    string Operation,
    int Requests,
    double RequestsPerSecond,
    double P50Milliseconds,
    double P99Milliseconds,
    double MaxMilliseconds,
    int Unexpected,
    int Rejected
)
{
    /// <summary>Latency percentiles from raw ticks: sort once, then index (nearest rank).</summary>
    public static OperationStats From(
        string operation,
        IReadOnlyList<long> ticks,
        double elapsedSeconds,
        int unexpected,
        int rejected
    )
    {
        long[] sorted = [.. ticks];
        Array.Sort(sorted);
        return new OperationStats(
            operation,
            sorted.Length,
            sorted.Length / elapsedSeconds,
            Percentile(sorted, 0.50),
            Percentile(sorted, 0.99),
            sorted.Length == 0 ? 0 : Milliseconds(sorted[^1]),
            unexpected,
            rejected
        );
    }

    private static double Percentile(long[] sorted, double fraction)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }
        int rank = (int)Math.Ceiling(fraction * sorted.Length) - 1;
        return Milliseconds(sorted[Math.Clamp(rank, 0, sorted.Length - 1)]);
    }

    private static double Milliseconds(long ticks) => ticks * 1_000.0 / Stopwatch.Frequency;
}
