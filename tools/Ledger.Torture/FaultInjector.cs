using System.Diagnostics;
using System.Globalization;
using System.Net;
using Ledger.LocalPostgres;

namespace Ledger.Torture;

/// <summary>
/// Injects the scheduled faults one after another, and leaves everything running after each:
/// the API restarted and ready, PostgreSQL started or resumed. While PostgreSQL is down or
/// stalled it checks that readiness says so without hanging; after it returns, that the
/// service is ready again within 5 s, with no restart.
/// </summary>
public sealed class FaultInjector(
    ApiProcess api,
    LocalPostgresCluster cluster,
    Figures figures,
    TextWriter log,
    Stopwatch clock
)
{
    /// <summary>The bound: service resumes within 5 s of the database's return.</summary>
    public const int ResumeSecondsMax = 5;

    /// <summary>Readiness must answer 503 while the database is gone, within this.</summary>
    public const int ReadyAnswerSecondsMax = 12;

    private const int ResumeWaitSecondsMax = 60;
    private const int WriteResumeWaitSecondsMax = 30;
    private const int PollMilliseconds = 50;

    public async Task RunAsync(
        IReadOnlyList<ScheduledFault> schedule,
        CancellationToken stop,
        CancellationToken abort
    )
    {
        foreach (ScheduledFault fault in schedule)
        {
            TimeSpan wait = fault.At - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
            await InjectAsync(fault, abort);
        }
    }

    private async Task InjectAsync(ScheduledFault fault, CancellationToken abort)
    {
        string hold = fault.Hold > TimeSpan.Zero ? $" for {fault.Hold.TotalSeconds:F1} s" : "";
        Log($"fault {fault.Kind}{hold}");
        figures.Fault(fault.Kind);
        switch (fault.Kind)
        {
            case FaultKind.ApiKill:
                await api.KillAsync();
                await api.StartAsync(abort);
                Log("API restarted and ready");
                break;
            case FaultKind.PostgresRestart:
                await RestartPostgresAsync(fault.Hold, abort);
                break;
            case FaultKind.PostgresStall:
                await StallPostgresAsync(fault.Hold, abort);
                break;
            default:
                throw new InvalidOperationException($"{fault.Kind} is not scheduled");
        }
    }

    private async Task RestartPostgresAsync(TimeSpan down, CancellationToken abort)
    {
        var elapsed = Stopwatch.StartNew();
        await cluster.StopImmediatelyAsync(abort);
        await ExpectNotReadyAsync("PostgreSQL is down", abort);
        TimeSpan rest = down - elapsed.Elapsed;
        if (rest > TimeSpan.Zero)
        {
            await Task.Delay(rest, abort);
        }
        await cluster.RestartAsync(abort);
        await MeasureResumeAsync("restart", abort);
    }

    private async Task StallPostgresAsync(TimeSpan stall, CancellationToken abort)
    {
        var elapsed = Stopwatch.StartNew();
        int stopped = cluster.Suspend();
        try
        {
            Log($"stopped {stopped} PostgreSQL processes");
            await ExpectNotReadyAsync("PostgreSQL is stalled", abort);
            TimeSpan rest = stall - elapsed.Elapsed;
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, abort);
            }
        }
        finally
        {
            cluster.Resume();
        }
        await MeasureResumeAsync("stall", abort);
    }

    /// <summary>/health/ready must answer 503, not 200 nor a hang, during an outage.</summary>
    private async Task ExpectNotReadyAsync(string outage, CancellationToken abort)
    {
        var elapsed = Stopwatch.StartNew();
        HttpStatusCode? status = await api.ReadyStatusAsync(abort, ReadyAnswerSecondsMax);
        string answer = status is null
            ? "no answer"
            : ((int)status).ToString(CultureInfo.InvariantCulture);
        Log($"ready while {outage}: {answer} in {elapsed.ElapsedMilliseconds} ms");
        if (status != HttpStatusCode.ServiceUnavailable)
        {
            figures.Discrepancy(
                $"/health/ready while {outage}: expected 503 within "
                    + $"{ReadyAnswerSecondsMax} s, got {answer}"
            );
        }
    }

    private async Task MeasureResumeAsync(string after, CancellationToken abort)
    {
        long returned = Environment.TickCount64;
        var elapsed = Stopwatch.StartNew();
        while (!await api.IsReadyAsync(abort))
        {
            if (elapsed.Elapsed > TimeSpan.FromSeconds(ResumeWaitSecondsMax))
            {
                throw new TimeoutException(
                    $"the API was not ready {ResumeWaitSecondsMax} s after the {after}"
                );
            }
            await Task.Delay(PollMilliseconds, abort);
        }
        long readyMilliseconds = elapsed.ElapsedMilliseconds;
        figures.ResumeSeen(readyMilliseconds);
        if (readyMilliseconds > ResumeSecondsMax * 1_000)
        {
            figures.Discrepancy(
                $"ready {readyMilliseconds} ms after the database's return "
                    + $"({after}); "
                    + $"the bound is {ResumeSecondsMax} s"
            );
        }
        while (
            figures.LastWriteSuccessTicks < returned
            && elapsed.Elapsed < TimeSpan.FromSeconds(WriteResumeWaitSecondsMax)
        )
        {
            await Task.Delay(PollMilliseconds, abort);
        }
        if (figures.LastWriteSuccessTicks < returned)
        {
            // The workload ended meanwhile; readiness alone is the measure.
            Log($"after the {after}: ready in {readyMilliseconds} ms, no write since");
            return;
        }
        long writeMilliseconds = figures.LastWriteSuccessTicks - returned;
        figures.WriteResumeSeen(writeMilliseconds);
        Log(
            $"after the {after}: ready in {readyMilliseconds} ms, "
                + $"first write in {writeMilliseconds} ms"
        );
    }

    private void Log(string line) =>
        log.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"[{clock.Elapsed.TotalSeconds, 6:F1}s] {line}"
            )
        );
}
