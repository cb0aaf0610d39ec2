using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Ledger.Torture;

public enum FaultKind
{
    ApiKill,
    PostgresRestart,
    PostgresStall,
    ConnectionDrop,
}

/// <summary>
/// The run's counters, updated from every worker at once. Discrepancies are broken promises:
/// a run passes only with none.
/// </summary>
public sealed class Figures
{
    /// <summary>Enough to diagnose; a broken run may otherwise print thousands of lines.</summary>
    public const int DiscrepanciesKeptMax = 200;

    private readonly ConcurrentQueue<string> _discrepancies = new();
    private readonly long[] _faults = new long[Enum.GetValues<FaultKind>().Length];
    private long _discrepancyCount;
    private long _sends;
    private long _operations;
    private long _acknowledged;
    private long _retries;
    private long _exactRetries;
    private long _unavailable;
    private long _noAnswer;
    private long _slowestUnavailableMilliseconds;
    private long _slowestAnswerMilliseconds;
    private long _slowestResumeMilliseconds;
    private long _slowestWriteResumeMilliseconds;
    private long _replayed;

    public long Sends => Interlocked.Read(ref _sends);

    public long Operations => Interlocked.Read(ref _operations);

    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    public long Retries => Interlocked.Read(ref _retries);

    public long ExactRetries => Interlocked.Read(ref _exactRetries);

    public long Unavailable => Interlocked.Read(ref _unavailable);

    public long NoAnswer => Interlocked.Read(ref _noAnswer);

    public long Replayed => Interlocked.Read(ref _replayed);

    public long DiscrepancyCount => Interlocked.Read(ref _discrepancyCount);

    public IReadOnlyCollection<string> Discrepancies => _discrepancies;

    public long SlowestUnavailableMilliseconds =>
        Interlocked.Read(ref _slowestUnavailableMilliseconds);

    public long SlowestAnswerMilliseconds => Interlocked.Read(ref _slowestAnswerMilliseconds);

    public long SlowestResumeMilliseconds => Interlocked.Read(ref _slowestResumeMilliseconds);

    public long SlowestWriteResumeMilliseconds =>
        Interlocked.Read(ref _slowestWriteResumeMilliseconds);

    /// <summary>When a write last got a 2xx, in Environment.TickCount64 milliseconds.</summary>
    public long LastWriteSuccessTicks { get; private set; }

    public long Faults(FaultKind kind) => Interlocked.Read(ref _faults[(int)kind]);

    public void Fault(FaultKind kind) => Interlocked.Increment(ref _faults[(int)kind]);

    public void Send() => Interlocked.Increment(ref _sends);

    public void Operation() => Interlocked.Increment(ref _operations);

    public void Acknowledge() => Interlocked.Increment(ref _acknowledged);

    public void Retry() => Interlocked.Increment(ref _retries);

    public void ExactRetry() => Interlocked.Increment(ref _exactRetries);

    public void NoAnswerSeen() => Interlocked.Increment(ref _noAnswer);

    public void Replay() => Interlocked.Increment(ref _replayed);

    public void UnavailableSeen(long milliseconds)
    {
        Interlocked.Increment(ref _unavailable);
        Max(ref _slowestUnavailableMilliseconds, milliseconds);
    }

    public void AnswerSeen(long milliseconds) => Max(ref _slowestAnswerMilliseconds, milliseconds);

    public void ResumeSeen(long milliseconds) => Max(ref _slowestResumeMilliseconds, milliseconds);

    public void WriteResumeSeen(long milliseconds) =>
        Max(ref _slowestWriteResumeMilliseconds, milliseconds);

    public void WriteSucceeded() => LastWriteSuccessTicks = Environment.TickCount64;

    public void Discrepancy(string what)
    {
        if (Interlocked.Increment(ref _discrepancyCount) <= DiscrepanciesKeptMax)
        {
            _discrepancies.Enqueue(what);
        }
    }

    /// <summary>The figures as the issue lists them, one per line.</summary>
    public string Report(TortureOptions options, TimeSpan elapsed)
    {
        var text = new StringBuilder();
        void Line(string name, object value) =>
            text.AppendLine(CultureInfo.InvariantCulture, $"  {name, -34} {value}");
        text.AppendLine("torture figures");
        Line("seed", options.Seed);
        Line("mode", options.Mode.ToString().ToLowerInvariant());
        Line("workload seconds", options.DurationSeconds);
        Line("elapsed seconds", Math.Round(elapsed.TotalSeconds));
        Line("workers / connections", $"{options.Workers} / {options.Connections}");
        Line("faults: API kill -9", Faults(FaultKind.ApiKill));
        Line("faults: PostgreSQL immediate stop", Faults(FaultKind.PostgresRestart));
        Line("faults: PostgreSQL stall (SIGSTOP)", Faults(FaultKind.PostgresStall));
        Line("faults: dropped client connection", Faults(FaultKind.ConnectionDrop));
        Line("operations", Operations);
        Line("requests sent (every attempt)", Sends);
        Line("requests acknowledged", Acknowledged);
        Line("retries after no answer", Retries);
        Line("exact retries of answered requests", ExactRetries);
        Line("attempts with no answer", NoAnswer);
        Line("503 answers", Unavailable);
        Line("slowest 503 (ms)", SlowestUnavailableMilliseconds);
        Line("slowest answer of any kind (ms)", SlowestAnswerMilliseconds);
        Line("slowest ready after db return (ms)", SlowestResumeMilliseconds);
        Line("slowest write after db return (ms)", SlowestWriteResumeMilliseconds);
        Line("answers replayed at the end", Replayed);
        Line("discrepancies", DiscrepancyCount);
        foreach (string discrepancy in _discrepancies)
        {
            text.AppendLine("    ! " + discrepancy);
        }
        return text.ToString();
    }

    private static void Max(ref long target, long value)
    {
        long seen = Interlocked.Read(ref target);
        while (value > seen)
        {
            long previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }
            seen = previous;
        }
    }
}
