using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Ledger.BitGoAuth;
using Ledger.BitGoSim.Hosting;
using Ledger.BitGoSim.Partner;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ledger.EndToEnd.Tests;

/// <summary>
/// How the simulator calls the partner, checked without a partner: a recording handler
/// stands in for the network and answers 200 {}.
/// </summary>
public sealed class PartnerClientTests : IDisposable
{
    private static readonly Lazy<RSA> Key = new(() => RSA.Create(2048));

    private readonly Recorder recorder = new();
    private readonly FaultSwitch faults = new(SimFaults.None);
    private readonly PartnerClient client;

    public PartnerClientTests()
    {
        client = new PartnerClient(
            new HttpClient(recorder),
            new BitGoTokenMinter(Key.Value, TimeProvider.System),
            new PartnerTarget(new Uri("http://partner.test/")),
            faults,
            TimeProvider.System,
            NullLogger<PartnerClient>.Instance
        );
    }

    public void Dispose() => client.Dispose();

    [Fact]
    public async Task Every_partner_call_carries_a_fresh_RS256_token_of_at_most_60_s_for_its_body()
    {
        BitGoKeyRing keys = BitGoKeyRing.FromPems([Key.Value.ExportSubjectPublicKeyInfoPem()]);
        var verifier = new BitGoTokenVerifier(keys, TimeProvider.System);

        await SendAsync(new JsonObject { ["deallocationId"] = "a" });
        await SendAsync(new JsonObject { ["deallocationId"] = "a" });
        await SendAsync(null);

        Assert.Equal(3, recorder.Calls.Count);
        List<VerifiedToken> tokens =
        [
            .. recorder.Calls.Select(call =>
                verifier.Verify(call.Token, call.Body).Token
                ?? throw new Xunit.Sdk.XunitException(
                    $"token refused: {verifier.Verify(call.Token, call.Body).Failure}"
                )
            ),
        ];
        Assert.Equal(3, tokens.Select(t => t.Jti).Distinct().Count());
        Assert.All(
            tokens,
            t =>
                Assert.True(
                    t.ExpiresAt
                        <= DateTimeOffset.UtcNow.AddSeconds(
                            BitGoTokenVerifier.TokenLifetimeSecondsMax
                        )
                )
        );
    }

    [Fact]
    public async Task Dropped_answer_reaches_the_partner_and_reports_no_answer_once()
    {
        faults.Set(new SimFaults(DropResponses: 1));

        PartnerReply dropped = await SendAsync(null);
        PartnerReply next = await SendAsync(null);

        Assert.Equal(2, recorder.Calls.Count);
        Assert.Null(dropped.Status);
        Assert.Contains("lost", dropped.Note, StringComparison.Ordinal);
        Assert.Equal(200, next.Status);
    }

    [Fact]
    public async Task Duplicated_webhook_is_sent_twice_with_distinct_tokens_and_the_same_body()
    {
        faults.Set(new SimFaults(DuplicateWebhooks: true));

        await SendAsync(new JsonObject { ["deallocationId"] = "b" });

        Assert.Equal(2, recorder.Calls.Count);
        Assert.NotEqual(recorder.Calls[0].Token, recorder.Calls[1].Token);
        Assert.Equal(recorder.Calls[0].Body, recorder.Calls[1].Body);
    }

    private Task<PartnerReply> SendAsync(JsonObject? body) =>
        client.SendAsync(
            body is null ? HttpMethod.Put : HttpMethod.Post,
            "/bitgo/v1/deallocations",
            body,
            "test",
            CancellationToken.None
        );

    private sealed record Call(string? Token, byte[] Body);

    private sealed class Recorder : HttpMessageHandler
    {
        public List<Call> Calls { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(
            HttpRequestMessage request,
            CancellationToken cancellationToken
        )
        {
            byte[] body = request.Content is null
                ? []
                : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            string? token = request.Headers.TryGetValues(
                PartnerClient.SignatureHeader,
                out IEnumerable<string>? values
            )
                ? values.Single()
                : null;
            lock (Calls)
            {
                Calls.Add(new Call(token, body));
            }
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("{}") };
        }
    }
}
