using System.Diagnostics;
using System.Net.Http.Headers;

namespace Ledger.HttpBench;

/// <summary>What one measured run did: every step it ran, the reads, and how long it took.</summary>
public sealed record RunResult(
    IReadOnlyList<Step> Steps,
    IReadOnlyList<ReadSample> Reads,
    double ElapsedSeconds,
    bool PoolExhausted
);

/// <summary>A balance query's outcome: status and latency.</summary>
public readonly record struct ReadSample(int Status, long LatencyTicks);

/// <summary>
/// Drives the API with C concurrent client loops over one HttpClient, as BitGo's many
/// concurrent calls would arrive, for a fixed time. Writers take the next prepared unit; readers
/// query balances until the time is up.
/// </summary>
public sealed class Driver(HttpClient http)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static HttpClient CreateClient(Uri address, int connections) =>
        new(
            new SocketsHttpHandler
            {
                MaxConnectionsPerServer = connections,
                UseCookies = false,
                UseProxy = false,
                PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            }
        )
        {
            BaseAddress = address,
            Timeout = TimeSpan.FromSeconds(30),
        };

    public async Task<RunResult> RunAsync(
        WorkUnit[] units,
        int writers,
        int readers,
        Workload workload,
        TimeSpan duration
    )
    {
        int next = -1;
        bool exhausted = false;
        long start = Stopwatch.GetTimestamp();
        long deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var reads = new List<ReadSample>[readers];
        var loops = new List<Task>();
        for (int w = 0; w < writers; w++)
        {
            loops.Add(
                Task.Run(async () =>
                {
                    while (Stopwatch.GetTimestamp() < deadline)
                    {
                        int i = Interlocked.Increment(ref next);
                        if (i >= units.Length)
                        {
                            exhausted = true;
                            return;
                        }
                        await RunUnitAsync(units[i]);
                    }
                })
            );
        }
        for (int r = 0; r < readers; r++)
        {
            var samples = reads[r] = [];
            string[] paths = [.. Enumerable.Range(0, 4_096).Select(_ => workload.BalancePath())];
            loops.Add(
                Task.Run(async () =>
                {
                    for (int i = 0; Stopwatch.GetTimestamp() < deadline; i++)
                    {
                        samples.Add(await ReadAsync(paths[i % paths.Length]));
                    }
                })
            );
        }
        await Task.WhenAll(loops);
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        int taken = Math.Min(next + 1, units.Length);
        return new RunResult(
            [.. units.Take(taken).SelectMany(u => u.Steps).Where(s => s.Done)],
            [.. reads.SelectMany(r => r)],
            elapsed,
            exhausted
        );
    }

    /// <summary>Runs the unit's steps in order; a settlement follows only a reservation that held.</summary>
    private async Task RunUnitAsync(WorkUnit unit)
    {
        foreach (Step step in unit.Steps)
        {
            await SendAsync(step);
            if (!step.Succeeded || step.Rejected)
            {
                return;
            }
        }
    }

    private async Task SendAsync(Step step)
    {
        using var request = new HttpRequestMessage(step.Method, step.Path);
        if (step.Method != HttpMethod.Get)
        {
            request.Content = new ByteArrayContent(step.Body);
            request.Content.Headers.ContentType = step.Body.Length > 0 ? Json : null;
        }
        request.Headers.TryAddWithoutValidation("X-BitGo-Signature", step.Token);
        long started = Stopwatch.GetTimestamp();
        try
        {
            using HttpResponseMessage response = await http.SendAsync(request);
            string text = await response.Content.ReadAsStringAsync();
            step.Status = (int)response.StatusCode;
            step.Rejected = text.Contains("\"rejectionReason\"", StringComparison.Ordinal);
            step.Answer = step.KeepAnswer || !step.Succeeded ? text : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            step.Status = 0;
            step.Answer = e.Message;
        }
        step.LatencyTicks = Stopwatch.GetTimestamp() - started;
        step.Done = true;
    }

    private async Task<ReadSample> ReadAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Bearer",
            ApiHost.ReaderApiKey
        );
        long started = Stopwatch.GetTimestamp();
        int status;
        try
        {
            using HttpResponseMessage response = await http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            status = (int)response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            status = 0;
        }
        return new ReadSample(status, Stopwatch.GetTimestamp() - started);
    }
}
