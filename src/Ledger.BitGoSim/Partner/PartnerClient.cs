using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.BitGoAuth;
using Ledger.BitGoSim.Hosting;

namespace Ledger.BitGoSim.Partner;

/// <summary>
/// One call to the partner as BitGo made it and what came back. Status is null when no answer
/// reached BitGo: unreachable, timed out, or dropped by fault injection (Note says which).
/// </summary>
public sealed record PartnerReply(
    DateTimeOffset At,
    string Method,
    string Path,
    int? Status,
    JsonObject? Body,
    string Note
)
{
    public bool IsOk => Status == 200 && Body is not null;

    /// <summary>The partner's "error" member, or its status, for the client's error text.</summary>
    public string Describe() =>
        Status is null
            ? Note
            : $"partner answered {Status}: {Body?["error"]?.GetValue<string>() ?? "no error text"}";
}

/// <summary>
/// Calls the partner's /bitgo/v1 endpoints. Every call carries a fresh RS256 token in
/// X-BitGo-Signature, with its own jti, a lifetime under the contract's 60 s, and the body's
/// SHA-256 (contract, "Authentication of BitGo's calls").
/// </summary>
public sealed class PartnerClient(
    HttpClient http,
    BitGoTokenMinter minter,
    PartnerTarget target,
    FaultSwitch faults,
    TimeProvider time,
    ILogger<PartnerClient> logger
) : IDisposable
{
    public const string SignatureHeader = "X-BitGo-Signature";

    /// <summary>The ledger records it with each event, so both sides share one trace id.</summary>
    public const string CorrelationHeader = "X-Correlation-Id";

    /// <summary>Half the contract's 60 s maximum, so clock skew never pushes it over.</summary>
    public const int TokenLifetimeSeconds = 30;

    public static HttpClient CreateHttpClient() =>
        new(
            new SocketsHttpHandler
            {
                ConnectTimeout = TimeSpan.FromSeconds(SimLimits.PartnerConnectTimeoutSeconds),
            }
        )
        {
            Timeout = TimeSpan.FromSeconds(SimLimits.PartnerCallTimeoutSeconds),
        };

    /// <summary>
    /// Sends one call (twice when webhooks are duplicated) and returns the answer BitGo keeps.
    /// A drop is applied after the partner answered, so the partner has done the work.
    /// </summary>
    public async Task<PartnerReply> SendAsync(
        HttpMethod method,
        string path,
        JsonObject? body,
        string correlationId,
        CancellationToken cancellationToken
    )
    {
        PartnerReply reply = await SendOnceAsync(
            method,
            path,
            body,
            correlationId,
            cancellationToken
        );
        if (faults.Current.DuplicateWebhooks)
        {
            PartnerReply again = await SendOnceAsync(
                method,
                path,
                body,
                correlationId,
                cancellationToken
            );
            string same = SameAnswer(reply, again)
                ? "same answer"
                : $"DIFFERENT answer ({again.Status})";
            reply = reply with { Note = $"{reply.Note}; delivered twice, {same}" };
        }
        if (reply.Status is { } status && faults.TryTakeDrop())
        {
            logger.LogWarning(
                "Fault: dropping the partner's {Status} answer to {Method} {Path}",
                status,
                method,
                path
            );
            return reply with
            {
                Status = null,
                Body = null,
                Note = $"partner's {status} answer lost (fault: drop response)",
            };
        }
        return reply;
    }

    private async Task<PartnerReply> SendOnceAsync(
        HttpMethod method,
        string path,
        JsonObject? body,
        string correlationId,
        CancellationToken cancellationToken
    )
    {
        byte[] bytes = body is null ? [] : Encoding.UTF8.GetBytes(body.ToJsonString());
        using var request = new HttpRequestMessage(method, new Uri(target.BaseUrl, path));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(bytes);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        request.Headers.Add(SignatureHeader, minter.Mint(bytes, TokenLifetimeSeconds));
        request.Headers.Add(CorrelationHeader, correlationId);
        DateTimeOffset at = time.GetUtcNow();
        try
        {
            using HttpResponseMessage response = await http.SendAsync(request, cancellationToken);
            string text = await response.Content.ReadAsStringAsync(cancellationToken);
            int status = (int)response.StatusCode;
            return new PartnerReply(
                at,
                method.Method,
                path,
                status,
                ParseObject(text),
                $"answered {status}"
            );
        }
        catch (HttpRequestException e)
        {
            return new PartnerReply(
                at,
                method.Method,
                path,
                null,
                null,
                $"partner unreachable ({e.Message})"
            );
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new PartnerReply(
                at,
                method.Method,
                path,
                null,
                null,
                $"partner did not answer within {SimLimits.PartnerCallTimeoutSeconds} s"
            );
        }
    }

    public void Dispose() => http.Dispose();

    private static bool SameAnswer(PartnerReply first, PartnerReply second) =>
        first.Status == second.Status && JsonNode.DeepEquals(first.Body, second.Body);

    private static JsonObject? ParseObject(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
