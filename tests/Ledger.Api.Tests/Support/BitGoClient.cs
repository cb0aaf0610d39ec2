using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ledger.Api.Tests.Support;

/// <summary>
/// Calls the ledger as BitGo does, with bodies written as raw JSON so tests can send exactly
/// the bytes a contract rule is about (numbers of any size, malformed shapes). Every call to
/// /bitgo/ carries a fresh signed token in X-BitGo-Signature, and every call to /api/ the
/// operator's API key, unless <see cref="Unsigned"/> is set.
/// </summary>
public sealed class BitGoClient(HttpClient http)
{
    public const string SignatureHeader = "X-BitGo-Signature";

    public HttpClient Http => http;

    /// <summary>Send no credentials: for tests about authentication itself.</summary>
    public bool Unsigned { get; init; }

    /// <summary>The API key sent to /api/ paths.</summary>
    public string ApiKey { get; init; } = TestCredentials.OperatorApiKey;

    public Task<Answer> PostAsync(
        string path,
        string json,
        string contentType = "application/json"
    ) => SendAsync(HttpMethod.Post, path, json, contentType);

    public Task<Answer> PostAsync(string path, JsonNode body) =>
        PostAsync(path, body.ToJsonString());

    public Task<Answer> PutAsync(string path) => SendAsync(HttpMethod.Put, path, null, null);

    public Task<Answer> GetAsync(string path) => SendAsync(HttpMethod.Get, path, null, null);

    public async Task<Answer> SendAsync(
        HttpMethod method,
        string path,
        string? body,
        string? contentType
    )
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType is null
                ? null
                : MediaTypeHeaderValue.Parse(contentType);
        }
        if (!Unsigned && path.StartsWith("/bitgo/", StringComparison.Ordinal))
        {
            request.Headers.Add(
                SignatureHeader,
                TestCredentials.SignFor(Encoding.UTF8.GetBytes(body ?? ""))
            );
        }
        if (!Unsigned && path.StartsWith("/api/", StringComparison.Ordinal))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        }
        using HttpResponseMessage response = await http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return new Answer(
            response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            text
        );
    }

    /// <summary>Activates a connection and returns it, for tests that need one.</summary>
    public async Task<TestConnection> ConnectAsync(Guid? clientId = null)
    {
        var connection = new TestConnection(clientId ?? Guid.NewGuid(), Guid.NewGuid(), "", "");
        Answer answer = await PostAsync(
            "/bitgo/v1/connections",
            new JsonObject
            {
                ["clientId"] = connection.ClientId.ToString(),
                ["clientWalletId"] = "wallet-" + connection.ConnectionId.ToString("N")[..8],
                ["connectionId"] = connection.ConnectionId.ToString(),
                ["connectionToken"] = "token-" + connection.ConnectionId.ToString("N"),
                ["partnerId"] = Guid.NewGuid().ToString(),
            }
        );
        answer.AssertStatus(HttpStatusCode.OK);
        return connection with
        {
            PartnersConnectionId = answer.Json["partnersConnectionId"]!.GetValue<string>(),
            PartnerClientId = answer.Json["partnersClientId"]!.GetValue<string>(),
        };
    }

    /// <summary>A hold body (allocation or deallocation) for a connection, as BitGo sends it.</summary>
    public static JsonObject HoldBody(
        string idField,
        Guid id,
        TestConnection c,
        string currency,
        string quantity
    ) =>
        new()
        {
            [idField] = id.ToString(),
            ["amount"] = new JsonObject { ["currency"] = currency, ["quantity"] = quantity },
            ["clientId"] = c.ClientId.ToString(),
            ["connectionId"] = c.ConnectionId.ToString(),
            ["partnersConnectionId"] = c.PartnersConnectionId,
            ["partnerClientId"] = c.PartnerClientId,
        };

    /// <summary>Allocates and clears, so that the quantity is available to deallocate.</summary>
    public async Task FundAsync(TestConnection c, string currency, string quantity)
    {
        Guid allocationId = Guid.NewGuid();
        (
            await PostAsync(
                "/bitgo/v1/allocations",
                HoldBody("allocationId", allocationId, c, currency, quantity)
            )
        ).AssertStatus(HttpStatusCode.OK);
        (await PutAsync($"/bitgo/v1/allocation/{allocationId}/clear")).AssertStatus(
            HttpStatusCode.OK
        );
    }

    public Task<Answer> DeallocateAsync(
        Guid id,
        TestConnection c,
        string currency,
        string quantity
    ) =>
        PostAsync("/bitgo/v1/deallocations", HoldBody("deallocationId", id, c, currency, quantity));
}

public sealed record TestConnection(
    Guid ClientId,
    Guid ConnectionId,
    string PartnersConnectionId,
    string PartnerClientId
);

public sealed record Answer(HttpStatusCode Status, string? MediaType, string Body)
{
    public JsonNode Json =>
        JsonNode.Parse(Body) ?? throw new InvalidOperationException("empty body");

    public string? Error => Json["error"]?.GetValue<string>();

    public Answer AssertStatus(HttpStatusCode expected)
    {
        Assert.True(Status == expected, $"expected {(int)expected}, got {(int)Status}: {Body}");
        return this;
    }

    /// <summary>Every error is ProblemDetails with an "error" string (contract, error vocabulary).</summary>
    public Answer AssertProblem(HttpStatusCode expected)
    {
        AssertStatus(expected);
        Assert.Equal("application/problem+json", MediaType);
        Assert.Equal((int)expected, Json["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(Error), $"problem has no error member: {Body}");
        return this;
    }

    public JsonElement Element => JsonDocument.Parse(Body).RootElement;
}
