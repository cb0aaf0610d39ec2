using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.BitGoSim.Transfers;

namespace Ledger.BitGoSim.Demo;

/// <summary>An answer from an HTTP call: status and JSON body (an empty object if none).</summary>
public sealed record HttpAnswer(int Status, JsonObject Body)
{
    public string? Error => Text(Body, "error");

    public JsonObject? Object(string member) => Body[member] as JsonObject;

    public static string? Text(JsonObject? body, string member) =>
        body?[member] is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    public static async Task<HttpAnswer> ReadAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        JsonObject body;
        try
        {
            body = JsonNode.Parse(text) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            body = new JsonObject { ["raw"] = text };
        }
        return new HttpAnswer((int)response.StatusCode, body);
    }
}

/// <summary>
/// A BitGo client's calls to the simulator's client-facing API, with the enterprise's bearer
/// token: what the demo's clients and the end-to-end tests do.
/// </summary>
public sealed class SimApiClient(HttpClient http)
{
    public Task<HttpAnswer> ConnectAsync(
        string enterpriseId,
        string token,
        string connectionToken
    ) =>
        SendAsync(
            HttpMethod.Post,
            $"{Enterprise(enterpriseId)}/clients/connections",
            token,
            new JsonObject { ["connectionToken"] = connectionToken }.ToJsonString()
        );

    public Task<HttpAnswer> TransferAsync(
        TransferKind kind,
        string enterpriseId,
        string token,
        Guid connectionId,
        JsonObject body
    ) =>
        SendAsync(
            HttpMethod.Post,
            TransferPath(kind, enterpriseId, connectionId),
            token,
            body.ToJsonString()
        );

    public Task<HttpAnswer> BalancesAsync(string enterpriseId, string token) =>
        SendAsync(HttpMethod.Get, $"{Enterprise(enterpriseId)}/clients/balances", token, null);

    public static string TransferPath(TransferKind kind, string enterpriseId, Guid connectionId) =>
        $"{Enterprise(enterpriseId)}/clients/connections/{connectionId}/{kind.Name}s";

    /// <summary>Seed 000's request body. The nonce is fresh unless given; payload and
    /// signature stand in for the client's signed intent, which the simulator cannot verify.
    /// </summary>
    public static JsonObject TransferBody(
        string currency,
        string quantity,
        string clientExternalId,
        string? nonce = null,
        string? notes = null
    )
    {
        var body = new JsonObject
        {
            ["amount"] = new JsonObject { ["currency"] = currency, ["quantity"] = quantity },
            ["clientExternalId"] = clientExternalId,
            ["nonce"] = nonce ?? Guid.NewGuid().ToString("N"),
            ["payload"] = new JsonObject
            {
                ["intent"] = "transfer",
                ["amount"] = quantity,
                ["currency"] = currency,
            }.ToJsonString(),
            ["signature"] = "client-wallet-signature-" + clientExternalId,
        };
        if (notes is not null)
        {
            body["notes"] = notes;
        }
        return body;
    }

    public async Task<HttpAnswer> SendAsync(
        HttpMethod method,
        string path,
        string? token,
        string? json
    )
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        using HttpResponseMessage response = await http.SendAsync(request);
        return await HttpAnswer.ReadAsync(response);
    }

    private static string Enterprise(string enterpriseId) =>
        $"/api/network/v1/enterprises/{enterpriseId}";
}
