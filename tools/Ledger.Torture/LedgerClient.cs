using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Ledger.BitGoAuth;

namespace Ledger.Torture;

/// <summary>A request as BitGo sends it: the same method, path and body on every retry.</summary>
public sealed record HarnessRequest(HttpMethod Method, string Path, string? Body)
{
    public bool IsWrite => Method != HttpMethod.Get;

    public override string ToString() => $"{Method} {Path} {Body}";
}

/// <summary>A definitive answer: a status the contract defines, and the exact body.</summary>
public sealed record HarnessAnswer(int Status, string Body)
{
    public string? Error => Member("error");

    public bool Retriable =>
        TryParse(out JsonElement root)
        && root.TryGetProperty("retriable", out JsonElement value)
        && value.ValueKind == JsonValueKind.True;

    public string? Member(string name) =>
        TryParse(out JsonElement root)
        && root.ValueKind == JsonValueKind.Object
        && root.TryGetProperty(name, out JsonElement value)
            ? value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : value.GetRawText()
            : null;

    public override string ToString() => $"{Status} {Body}";

    private bool TryParse(out JsonElement root)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(Body);
            root = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            root = default;
            return false;
        }
    }
}

/// <summary>
/// Sends requests as BitGo does: a fresh signed token (new jti) on every send, and the same
/// id and body again until a definitive answer comes. No answer, a 503, a 500 or a retriable
/// 409 are not definitive. A chaos source may drop the connection mid-request.
/// </summary>
public sealed class LedgerClient : IDisposable
{
    /// <summary>One attempt waits this long; an answer slower than this is a hang.</summary>
    public const int AttemptSecondsMax = 30;

    /// <summary>
    /// A 503 must come fast: under a stall the command timeout (5 s) plus Npgsql's cancellation
    /// timeout bounds it. Slower than this is a discrepancy.
    /// </summary>
    public const int UnavailableSecondsMax = 15;

    /// <summary>
    /// Every fault ends within seconds and the API restarts within 90 s, so a request still
    /// without a definitive answer after this is a broken promise, not bad luck.
    /// </summary>
    public const int RequestSecondsMax = 180;

    public const int BackoffMillisecondsMin = 50;
    public const int BackoffMillisecondsMax = 1_000;
    private const int BackoffDoublingsMax = 8;

    /// <summary>A dropped connection is cut this soon after the send starts.</summary>
    public const int DropAfterMillisecondsMax = 40;

    private readonly HttpClient _http;
    private readonly BitGoTokenMinter _minter;
    private readonly Figures _figures;

    public LedgerClient(Uri baseAddress, BitGoTokenMinter minter, Figures figures)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        _http = new HttpClient(handler)
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _minter = minter;
        _figures = figures;
    }

    /// <summary>
    /// Sends until a definitive answer, for at most <see cref="RequestSecondsMax"/>; then
    /// <see cref="NoAnswerException"/>. <paramref name="abort"/> is the run's hard limit.
    /// </summary>
    public async Task<HarnessAnswer> SendUntilAnsweredAsync(
        HarnessRequest request,
        Random chaos,
        double dropProbability,
        CancellationToken abort
    )
    {
        var elapsed = Stopwatch.StartNew();
        for (int attempt = 0; ; attempt++)
        {
            if (elapsed.Elapsed > TimeSpan.FromSeconds(RequestSecondsMax))
            {
                throw new NoAnswerException(request, RequestSecondsMax);
            }
            if (attempt > 0)
            {
                _figures.Retry();
                int backoff = Math.Min(
                    BackoffMillisecondsMax,
                    BackoffMillisecondsMin << Math.Min(attempt, BackoffDoublingsMax)
                );
                await Task.Delay(backoff / 2 + chaos.Next(backoff / 2 + 1), abort);
            }
            int? dropAfter =
                chaos.NextDouble() < dropProbability
                    ? chaos.Next(1, DropAfterMillisecondsMax + 1)
                    : null;
            HarnessAnswer? answer = await SendOnceAsync(request, dropAfter, abort);
            if (answer is not null)
            {
                return answer;
            }
        }
    }

    /// <summary>One attempt; null when it gave no definitive answer.</summary>
    public async Task<HarnessAnswer?> SendOnceAsync(
        HarnessRequest request,
        int? dropAfterMilliseconds,
        CancellationToken abort
    )
    {
        byte[] body = request.Body is null ? [] : Encoding.UTF8.GetBytes(request.Body);
        using var message = new HttpRequestMessage(request.Method, request.Path);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(body);
            message.Content.Headers.ContentType = new("application/json");
        }
        message.Headers.Add("X-BitGo-Signature", _minter.Mint(body));
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(abort);
        attempt.CancelAfter(dropAfterMilliseconds ?? AttemptSecondsMax * 1_000);
        _figures.Send();
        var elapsed = Stopwatch.StartNew();
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(message, attempt.Token);
            string text = await response.Content.ReadAsStringAsync(attempt.Token);
            var answer = new HarnessAnswer((int)response.StatusCode, text);
            return Classify(request, answer, elapsed.ElapsedMilliseconds);
        }
        catch (OperationCanceledException) when (!abort.IsCancellationRequested)
        {
            _figures.NoAnswerSeen();
            if (dropAfterMilliseconds is not null)
            {
                _figures.Fault(FaultKind.ConnectionDrop);
            }
            else
            {
                _figures.Discrepancy($"hang: no answer within {AttemptSecondsMax} s to {request}");
            }
            return null;
        }
        catch (HttpRequestException)
        {
            // Refused or reset: the API is down or was killed mid-request.
            _figures.NoAnswerSeen();
            return null;
        }
    }

    public void Dispose() => _http.Dispose();

    private HarnessAnswer? Classify(HarnessRequest request, HarnessAnswer answer, long milliseconds)
    {
        _figures.AnswerSeen(milliseconds);
        switch (answer.Status)
        {
            case (int)HttpStatusCode.ServiceUnavailable:
                _figures.UnavailableSeen(milliseconds);
                if (!answer.Retriable)
                {
                    _figures.Discrepancy(
                        $"503 without \"retriable\": true to {request}: {answer.Body}"
                    );
                }
                if (milliseconds > UnavailableSecondsMax * 1_000)
                {
                    _figures.Discrepancy(
                        $"503 after {milliseconds} ms "
                            + $"(max {UnavailableSecondsMax} s) to {request}"
                    );
                }
                return null;
            case (int)HttpStatusCode.Conflict when answer.Retriable:
                // Lost races beyond the write attempts: BitGo sends the same request again.
                return null;
            case >= 500:
                _figures.Discrepancy($"{answer.Status} (not 503) to {request}: {answer.Body}");
                return null;
            default:
                if (request.IsWrite && answer.Status is >= 200 and < 300)
                {
                    _figures.WriteSucceeded();
                }
                return answer;
        }
    }
}
