using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// One request exactly as a hostile caller writes it: any bytes, any content type (or none),
/// a body without Content-Length. The path goes through System.Uri like any HTTP client's, so
/// dot segments are removed as Kestrel would remove them; TestServer takes no other path.
/// </summary>
public sealed record RawRequest(
    HttpMethod Method,
    string Path,
    byte[]? Body = null,
    string? ContentType = "application/json"
)
{
    /// <summary>An Accept header to send; none by default, as HttpClient sends none.</summary>
    public string? Accept { get; init; }

    /// <summary>Send no Content-Length, so the server cannot refuse the body up front.</summary>
    public bool Chunked { get; init; }
}

/// <summary>Sends raw requests and checks the shape every refusal must have.</summary>
public static class RawRequests
{
    /// <summary>Sends the request with <paramref name="token"/> as X-BitGo-Signature.</summary>
    public static async Task<Answer> SendAsync(this HttpClient http, RawRequest raw, string? token)
    {
        using var request = new HttpRequestMessage(raw.Method, raw.Path);
        if (raw.Body is not null)
        {
            request.Content = raw.Chunked
                ? new UnsizedContent(raw.Body)
                : new ByteArrayContent(raw.Body);
            if (raw.ContentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(raw.ContentType);
            }
        }
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation(BitGoClient.SignatureHeader, token);
        }
        if (raw.Accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", raw.Accept);
        }
        using HttpResponseMessage response = await http.SendAsync(request);
        return await response.ToAnswerAsync();
    }

    /// <summary>The response as Support's <see cref="Answer"/>.</summary>
    public static async Task<Answer> ToAnswerAsync(this HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        return new Answer(
            response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            text
        );
    }

    /// <summary>Sends the request signed validly for its exact body bytes, as BitGo does.</summary>
    public static Task<Answer> SendSignedAsync(this HttpClient http, RawRequest raw) =>
        http.SendAsync(raw, TestCredentials.SignFor(raw.Body ?? []));

    /// <summary>
    /// A refusal: 4xx (never 5xx), application/problem+json, the status repeated in the body
    /// and a non-empty string "error" member (contract, "BitGo's error vocabulary").
    /// </summary>
    public static JsonObject AssertClientErrorProblem(this Answer answer)
    {
        int status = (int)answer.Status;
        Assert.True(status is >= 400 and < 500, $"expected a 4xx, got {status}: {answer.Body}");
        Assert.True(
            answer.MediaType == "application/problem+json",
            $"expected application/problem+json, got '{answer.MediaType}': {answer.Body}"
        );
        JsonObject problem = Assert.IsType<JsonObject>(JsonNode.Parse(answer.Body));
        Assert.Equal(status, problem["status"]?.GetValue<int>());
        JsonNode? error = problem["error"];
        bool hasError =
            error is JsonValue value && value.TryGetValue(out string? text) && text.Length > 0;
        Assert.True(hasError, $"problem has no string error member: {answer.Body}");
        return problem;
    }

    /// <summary>
    /// A refused X-BitGo-Signature: 401 ProblemDetails whose error names the failed check, and
    /// nothing of the token (whole, or any one segment) in the body.
    /// </summary>
    public static void AssertSignatureRefused(this Answer answer, string checkPrefix, string? token)
    {
        answer.AssertProblem(HttpStatusCode.Unauthorized);
        Assert.StartsWith(
            $"{BitGoClient.SignatureHeader}: {checkPrefix}",
            answer.Error,
            StringComparison.Ordinal
        );
        if (token is { Length: > 0 })
        {
            Assert.DoesNotContain(token, answer.Body, StringComparison.Ordinal);
            Assert.All(
                ForgedTokens.Segments(token),
                segment => Assert.DoesNotContain(segment, answer.Body, StringComparison.Ordinal)
            );
        }
    }

    /// <summary>A body whose length is not known in advance: no Content-Length header.</summary>
    private sealed class UnsizedContent(byte[] body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            stream.WriteAsync(body).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
