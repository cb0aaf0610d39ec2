using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Ledger.HttpBench;

/// <summary>
/// Prepares the client balances before any clock starts, through the real API: activates a
/// connection per client, allocates the funding and clears it, so every balance holds
/// <see cref="BenchOptions.FundingQuantity"/> available.
/// </summary>
public static class Accounts
{
    public static async Task<IReadOnlyList<BenchAccount>> PrepareAsync(
        HttpClient http,
        Signer signer,
        int count,
        int clients
    )
    {
        var connections = Enumerable
            .Range(0, count)
            .Select(_ => (Client: Guid.NewGuid(), Connection: Guid.NewGuid()))
            .ToArray();
        byte[][] activations =
        [
            .. connections.Select(c =>
                Encoding.UTF8.GetBytes(
                    new JsonObject
                    {
                        ["clientId"] = c.Client.ToString(),
                        ["clientWalletId"] = "wallet-" + c.Connection.ToString("N")[..8],
                        ["connectionId"] = c.Connection.ToString(),
                        ["connectionToken"] = "bench-token-" + c.Connection.ToString("N"),
                        ["partnerId"] = Guid.NewGuid().ToString(),
                    }.ToJsonString()
                )
            ),
        ];
        string[] answers = await SendAllAsync(
            http,
            signer,
            clients,
            [.. activations.Select(body => (HttpMethod.Post, "/bitgo/v1/connections", body))]
        );
        BenchAccount[] accounts =
        [
            .. answers.Select(
                (answer, i) =>
                {
                    JsonNode json = JsonNode.Parse(answer)!;
                    return new BenchAccount(
                        connections[i].Client,
                        connections[i].Connection,
                        json["partnersConnectionId"]!.GetValue<string>(),
                        json["partnersClientId"]!.GetValue<string>()
                    );
                }
            ),
        ];
        Guid[] allocations = [.. accounts.Select(_ => Guid.NewGuid())];
        await SendAllAsync(
            http,
            signer,
            clients,
            [
                .. accounts.Select(
                    (a, i) =>
                        (
                            HttpMethod.Post,
                            "/bitgo/v1/allocations",
                            Workload.HoldBody(
                                "allocationId",
                                allocations[i],
                                a,
                                BenchOptions.FundingQuantity
                            )
                        )
                ),
            ]
        );
        await SendAllAsync(
            http,
            signer,
            clients,
            [
                .. allocations.Select(id =>
                    (HttpMethod.Put, $"/bitgo/v1/allocation/{id}/clear", Array.Empty<byte>())
                ),
            ]
        );
        return accounts;
    }

    /// <summary>Sends every request with a fresh token, C at a time; anything but 200 is fatal.</summary>
    private static async Task<string[]> SendAllAsync(
        HttpClient http,
        Signer signer,
        int clients,
        (HttpMethod Method, string Path, byte[] Body)[] requests
    )
    {
        string[] tokens = signer.MintAll([.. requests.Select(r => r.Body)]);
        var answers = new string[requests.Length];
        int next = -1;
        await Task.WhenAll(
            Enumerable
                .Range(0, clients)
                .Select(_ =>
                    Task.Run(async () =>
                    {
                        for (
                            int i = Interlocked.Increment(ref next);
                            i < requests.Length;
                            i = Interlocked.Increment(ref next)
                        )
                        {
                            using var request = new HttpRequestMessage(
                                requests[i].Method,
                                requests[i].Path
                            );
                            request.Content = new ByteArrayContent(requests[i].Body);
                            if (requests[i].Body.Length > 0)
                            {
                                request.Content.Headers.ContentType = new("application/json");
                            }
                            request.Headers.TryAddWithoutValidation("X-BitGo-Signature", tokens[i]);
                            using HttpResponseMessage response = await http.SendAsync(request);
                            answers[i] = await response.Content.ReadAsStringAsync();
                            if (response.StatusCode != HttpStatusCode.OK)
                            {
                                throw new InvalidOperationException(
                                    $"setup {requests[i].Method} {requests[i].Path}: {(int)response.StatusCode} {answers[i]}"
                                );
                            }
                        }
                    })
                )
        );
        return answers;
    }
}
