using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using static Ledger.Api.Tests.Security.ForgedTokens;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// Issue 4: a forged X-BitGo-Signature is 401 ProblemDetails whose "error" names the check that
/// failed (ADR 0008's order), never echoes the token or any of its segments, and appends nothing.
/// Every forgery rides on an allocation that would append if the token were believed.
/// </summary>
public sealed class ForgedTokenTests(AuthHost host) : IClassFixture<AuthHost>
{
    private const string AllocationsPath = "/bitgo/v1/allocations";

    private const string Malformed = "malformed";
    private const string AlgorithmNotAllowed = "algorithm not allowed";
    private const string BadSignature = "signature does not verify";

    /// <summary>A forgery: how to make its token for a body, and the check refusing it.</summary>
    private sealed record Forgery(Func<byte[], string?> Token, string Check);

    private static readonly Dictionary<string, Forgery> Forgeries = new()
    {
        ["missing_signature_header"] = new(_ => null, "missing"),
        ["empty_signature_header"] = new(_ => "", "missing"),
        ["unsigned_two_segments"] = new(b => Unsigned(b, Header()).TrimEnd('.'), Malformed),
        ["unsigned_empty_signature_segment"] = new(b => Unsigned(b, Header()), Malformed),
        ["alg_none_with_empty_signature"] = new(b => Unsigned(b, Header("none")), Malformed),
        ["alg_none_signed"] = new(b => Sign(Header("none"), Claims(b)), AlgorithmNotAllowed),
        ["hs256_keyed_with_the_public_key_pem"] = new(HmacWithPublicKeyPem, AlgorithmNotAllowed),
        ["signed_with_another_rsa_key"] = new(b => Mint(b, AttackerKey), BadSignature),
        ["payload_tampered_after_signing"] = new(WithTamperedPayload, BadSignature),
        ["expired"] = new(
            b =>
                Signed(
                    b,
                    c =>
                    {
                        c["iat"] = NowSeconds - 120;
                        c["exp"] = NowSeconds - 60;
                    }
                ),
            "expired"
        ),
        ["not_yet_valid"] = new(b => Signed(b, c => c["nbf"] = NowSeconds + 30), "not yet valid"),
        ["issued_in_the_future"] = new(
            b => Signed(b, c => c["iat"] = NowSeconds + 30),
            "issued in the future"
        ),
        ["lifetime_of_61_seconds"] = new(
            b => Signed(b, c => c["exp"] = c["iat"]!.GetValue<long>() + 61),
            "lifetime over 60 s"
        ),
        ["exp_missing"] = new(b => Signed(b, c => c.Remove("exp")), "exp missing"),
        ["jti_missing"] = new(b => Signed(b, c => c.Remove("jti")), "jti missing"),
        ["jti_empty"] = new(b => Signed(b, c => c["jti"] = ""), "jti missing"),
        ["duplicate_exp_claim"] = new(
            b => Sign(Header(), Claims(b)[..^1] + ",\"exp\":" + (NowSeconds + 3600) + "}"),
            Malformed
        ),
        ["malformed_base64_character"] = new(b => WithSegment(b, 1, s => "+" + s[1..]), Malformed),
        ["malformed_base64_padding"] = new(b => WithSegment(b, 1, s => s + "=="), Malformed),
        ["header_segment_missing"] = new(b => WithSegment(b, 0, _ => ""), Malformed),
        ["body_hash_of_another_body"] = new(
            _ => TestCredentials.SignFor("{\"other\":true}"u8),
            "body hash does not match"
        ),
    };

    public static TheoryData<string> ForgeryNames() => [.. Forgeries.Keys];

    [Theory]
    [MemberData(nameof(ForgeryNames))]
    public async Task Forged_token_is_401_naming_the_failed_check_and_appends_nothing(
        string forgery
    )
    {
        byte[] body = await AllocationBodyAsync();
        string? token = Forgeries[forgery].Token(body);
        long before = await host.CountEventsAsync();

        Answer answer = await host
            .Factory.CreateClient()
            .SendAsync(new RawRequest(HttpMethod.Post, AllocationsPath, body), token);

        answer.AssertSignatureRefused($"{Forgeries[forgery].Check} (", token);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    /// <summary>The control for the theory above: its request is refused for the token.</summary>
    [Fact]
    public async Task Freshly_signed_token_on_the_same_request_is_accepted_and_appends()
    {
        byte[] body = await AllocationBodyAsync();
        long before = await host.CountEventsAsync();

        Answer answer = await host
            .Factory.CreateClient()
            .SendSignedAsync(new RawRequest(HttpMethod.Post, AllocationsPath, body));

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.True(await host.CountEventsAsync() > before);
    }

    [Fact]
    public async Task Second_use_of_a_valid_token_is_401_jti_already_used_and_appends_nothing()
    {
        byte[] body = await AllocationBodyAsync();
        string token = TestCredentials.SignFor(body);
        HttpClient http = host.Factory.CreateClient();
        (
            await http.SendAsync(new RawRequest(HttpMethod.Post, AllocationsPath, body), token)
        ).AssertStatus(HttpStatusCode.OK);
        long before = await host.CountEventsAsync();

        Answer replay = await http.SendAsync(
            new RawRequest(HttpMethod.Post, AllocationsPath, body),
            token
        );

        replay.AssertSignatureRefused("jti already used", token);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    [Fact]
    public async Task Two_signature_headers_are_401_missing_and_append_nothing()
    {
        byte[] body = await AllocationBodyAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, AllocationsPath)
        {
            Content = new ByteArrayContent(body)
            {
                Headers = { { "Content-Type", "application/json" } },
            },
        };
        // Two valid tokens: the filter must not pick one of them.
        request.Headers.Add(
            BitGoClient.SignatureHeader,
            [TestCredentials.SignFor(body), TestCredentials.SignFor(body)]
        );
        long before = await host.CountEventsAsync();

        using HttpResponseMessage response = await host.Factory.CreateClient().SendAsync(request);

        Answer answer = await response.ToAnswerAsync();
        answer.AssertSignatureRefused("missing (", token: null);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    /// <summary>
    /// The jti's primary key decides the race (JtiStore), inside the write's transaction on
    /// both paths (ADR 0012), so 20 replays of one token sent at once get exactly one success,
    /// whichever arrives first, and only that one appends.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Twenty_concurrent_replays_of_one_token_give_one_success_and_nineteen_401s(
        bool groupCommit
    )
    {
        const int Replays = 20;
        await using WebApplicationFactory<Program> node = host.Factory.WithWebHostBuilder(web =>
            web.UseSetting("Ledger:GroupCommit", groupCommit ? "true" : "false")
        );
        BitGoClient bitgo = host.BitGo();
        TestConnection connection = await bitgo.ConnectAsync();
        await bitgo.FundAsync(connection, "btc", "5");
        Guid id = Guid.NewGuid();
        byte[] body = Encoding.UTF8.GetBytes(
            HostileCorpus.Write(HoldKind.Deallocation.Body(id, connection, "btc", "5"))
        );
        string token = TestCredentials.SignFor(body);
        HttpClient http = node.CreateClient();
        var replay = new RawRequest(HttpMethod.Post, "/bitgo/v1/deallocations", body);
        long before = await host.CountEventsAsync();

        Answer[] answers = await Task.WhenAll(
            Enumerable.Range(0, Replays).Select(_ => Task.Run(() => http.SendAsync(replay, token)))
        );

        Assert.Single(answers, a => a.Status == HttpStatusCode.OK);
        Assert.All(
            answers.Where(a => a.Status != HttpStatusCode.OK),
            a => a.AssertSignatureRefused("jti already used", token)
        );
        long appended = await host.CountEventsAsync() - before;
        Assert.Equal(
            appended,
            await host.ScalarAsync<long>(
                "SELECT count(*) FROM ledger.events WHERE stream_id = $1",
                id
            )
        );
        Assert.True(appended > 0);
    }

    [Fact]
    public async Task Second_use_of_a_clear_token_is_401_and_appends_nothing()
    {
        BitGoClient bitgo = host.BitGo();
        TestConnection connection = await bitgo.ConnectAsync();
        await bitgo.FundAsync(connection, "btc", "5");
        Guid id = Guid.NewGuid();
        (await bitgo.DeallocateAsync(id, connection, "btc", "5")).AssertStatus(HttpStatusCode.OK);
        string token = TestCredentials.SignFor([]);
        HttpClient http = host.Factory.CreateClient();
        var clear = new RawRequest(HttpMethod.Put, $"/bitgo/v1/deallocation/{id}/clear", []);
        (await http.SendAsync(clear, token)).AssertStatus(HttpStatusCode.OK);
        long before = await host.CountEventsAsync();

        Answer replay = await http.SendAsync(clear, token);

        replay.AssertSignatureRefused("jti already used", token);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    /// <summary>The jti is checked in the clear's own commit, before its stream is claimed.</summary>
    [Fact]
    public async Task A_clear_token_used_again_on_another_hold_is_401_and_appends_nothing()
    {
        BitGoClient bitgo = host.BitGo();
        TestConnection connection = await bitgo.ConnectAsync();
        await bitgo.FundAsync(connection, "btc", "10");
        Guid first = Guid.NewGuid();
        Guid second = Guid.NewGuid();
        (await bitgo.DeallocateAsync(first, connection, "btc", "5")).AssertStatus(
            HttpStatusCode.OK
        );
        (await bitgo.DeallocateAsync(second, connection, "btc", "5")).AssertStatus(
            HttpStatusCode.OK
        );
        string token = TestCredentials.SignFor([]);
        HttpClient http = host.Factory.CreateClient();
        (
            await http.SendAsync(
                new RawRequest(HttpMethod.Put, $"/bitgo/v1/deallocation/{first}/clear", []),
                token
            )
        ).AssertStatus(HttpStatusCode.OK);
        long before = await host.CountEventsAsync();

        Answer replay = await http.SendAsync(
            new RawRequest(HttpMethod.Put, $"/bitgo/v1/deallocation/{second}/clear", []),
            token
        );

        replay.AssertSignatureRefused("jti already used", token);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    /// <summary>A token is spent by its first use even when that use wrote nothing.</summary>
    [Fact]
    public async Task A_token_whose_request_was_refused_400_is_spent_and_its_replay_is_401()
    {
        byte[] body = Encoding.UTF8.GetBytes("""{"allocationId":"not-a-uuid"}""");
        string token = TestCredentials.SignFor(body);
        HttpClient http = host.Factory.CreateClient();
        var request = new RawRequest(HttpMethod.Post, AllocationsPath, body);
        (await http.SendAsync(request, token)).AssertStatus(HttpStatusCode.BadRequest);

        Answer replay = await http.SendAsync(request, token);

        replay.AssertSignatureRefused("jti already used", token);
    }

    private async Task<byte[]> AllocationBodyAsync() =>
        Encoding.UTF8.GetBytes(
            HostileCorpus.Write(
                HoldKind.Allocation.Body(Guid.NewGuid(), await host.ConnectionAsync(), "btc", "5")
            )
        );

    private static string Signed(byte[] body, Action<JsonObject> change) =>
        Sign(Header(), Claims(body, change));

    /// <summary>header.payload. with no signature at all.</summary>
    private static string Unsigned(byte[] body, string header) =>
        Segment(header) + "." + Segment(Claims(body)) + ".";

    /// <summary>A valid token for the body with one of its segments rewritten.</summary>
    private static string WithSegment(byte[] body, int index, Func<string, string> change)
    {
        string[] parts = TestCredentials.SignFor(body).Split('.');
        parts[index] = change(parts[index]);
        return string.Join('.', parts);
    }
}
