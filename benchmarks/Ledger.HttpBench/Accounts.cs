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
    /// <summary>Retries of one setup request answered 503, a second more apart each time.</summary>
    private const int SetupRetriesMax = 3;

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
        int retried = 0;
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
                            HttpStatusCode status;
                            (status, answers[i]) = await SendAsync(http, requests[i], tokens[i]);
                            // The setup is not measured. A retriable 503 (a connection not
                            // opened in time while the host stalls) is retried as BitGo would:
                            // after a pause, under a new token.
                            for (
                                int retry = 1;
                                status == HttpStatusCode.ServiceUnavailable
                                    && retry <= SetupRetriesMax;
                                retry++
                            )
                            {
                                Interlocked.Increment(ref retried);
                                await Task.Delay(TimeSpan.FromSeconds(retry));
                                (status, answers[i]) = await SendAsync(
                                    http,
                                    requests[i],
                                    signer.Mint(requests[i].Body)
                                );
                            }
                            if (status != HttpStatusCode.OK)
                            {
                                throw new InvalidOperationException(
                                    $"setup {requests[i].Method} {requests[i].Path}: {(int)status} {answers[i]}"
                                );
                            }
                        }
                    })
                )
        );
        if (retried > 0)
        {
            Console.WriteLine($"    setup: {retried} answers of 503 retried");
        }
        return answers;
    }

    private static async Task<(HttpStatusCode Status, string Answer)> SendAsync(
        HttpClient http,
        (HttpMethod Method, string Path, byte[] Body) sent,
        string token
    )
    {
        using var request = new HttpRequestMessage(sent.Method, sent.Path);
        request.Content = new ByteArrayContent(sent.Body);
        if (sent.Body.Length > 0)
        {
            request.Content.Headers.ContentType = new("application/json");
        }
        request.Headers.TryAddWithoutValidation("X-BitGo-Signature", token);
        using HttpResponseMessage response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
