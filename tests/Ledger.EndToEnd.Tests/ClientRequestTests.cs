using System.Text.Json.Nodes;
using Ledger.BitGoSim.Demo;
using Ledger.BitGoSim.Transfers;
using Ledger.EndToEnd.Tests.Support;

namespace Ledger.EndToEnd.Tests;

/// <summary>
/// Seed 000's refusals at BitGo's edge: 400, 401, 404. None of them may reach the partner:
/// each test asserts that the ledger accepted no token and appended no event.
/// </summary>
public sealed class ClientRequestTests(EndToEndFixture fixture)
    : IClassFixture<EndToEndFixture>,
        IDisposable
{
    public void Dispose() => fixture.Reset();

    [Fact]
    public async Task Request_without_a_members_token_is_401_and_reaches_no_partner()
    {
        TestConnection c = await fixture.ConnectAsync();
        TestConnection other = await fixture.ConnectAsync();
        (long events, long tokens) = await CountsAsync();
        string path = PathOf(c);
        string body = Scenario.Body("10", "no-token").ToJsonString();
        SimApiClient clients = fixture.Clients();

        HttpAnswer none = await clients.SendAsync(HttpMethod.Post, path, null, body);
        HttpAnswer wrong = await clients.SendAsync(
            HttpMethod.Post,
            path,
            other.Enterprise.Token,
            body
        );

        Assert.Equal(401, none.Status);
        Assert.Equal(401, wrong.Status);
        Assert.Contains("not a member of the enterprise", none.Error, StringComparison.Ordinal);
        Assert.Equal((events, tokens), await CountsAsync());
    }

    [Fact]
    public async Task Connection_the_enterprise_never_activated_is_404_and_reaches_no_partner()
    {
        TestConnection c = await fixture.ConnectAsync();
        TestConnection other = await fixture.ConnectAsync();
        (long events, long tokens) = await CountsAsync();

        HttpAnswer unknown = await fixture.DeallocateAsync(
            c with
            {
                ConnectionId = Guid.NewGuid(),
            },
            Scenario.Body("10", "unknown")
        );
        HttpAnswer foreign = await fixture.DeallocateAsync(
            c with
            {
                ConnectionId = other.ConnectionId,
            },
            Scenario.Body("10", "foreign")
        );

        Assert.Equal(404, unknown.Status);
        Assert.Equal(404, foreign.Status);
        Assert.StartsWith("connectionId:", unknown.Error, StringComparison.Ordinal);
        Assert.Equal((events, tokens), await CountsAsync());
    }

    [Theory]
    [InlineData("no amount", "amount")]
    [InlineData("fractional quantity", "amount.quantity")]
    [InlineData("numeric quantity", "amount.quantity")]
    [InlineData("zero quantity", "amount.quantity")]
    [InlineData("bad currency", "amount.currency")]
    [InlineData("empty clientExternalId", "clientExternalId")]
    [InlineData("no nonce", "nonce")]
    [InlineData("empty notes", "notes")]
    [InlineData("no payload", "payload")]
    [InlineData("empty signature", "signature")]
    [InlineData("connectionId not a UUID", "connectionId")]
    [InlineData("array body", "body")]
    public async Task Malformed_request_is_400_naming_the_field_and_reaches_no_partner(
        string defect,
        string field
    )
    {
        TestConnection c = await fixture.ConnectAsync();
        (long events, long tokens) = await CountsAsync();
        (string path, string json) = Break(defect, PathOf(c), Scenario.Body("10", "malformed"));

        HttpAnswer answer = await fixture
            .Clients()
            .SendAsync(HttpMethod.Post, path, c.Enterprise.Token, json);

        Assert.Equal(400, answer.Status);
        Assert.StartsWith(field + ":", answer.Error, StringComparison.Ordinal);
        Assert.Equal((events, tokens), await CountsAsync());
    }

    private async Task<(long Events, long Tokens)> CountsAsync() =>
        (await fixture.CountEventsAsync(), await fixture.CountSeenTokensAsync());

    private static string PathOf(TestConnection c) =>
        SimApiClient.TransferPath(TransferKind.Deallocation, c.Enterprise.Id, c.ConnectionId);

    /// <summary>The request with one defect: its path and its body.</summary>
    private static (string Path, string Json) Break(string defect, string path, JsonObject body)
    {
        JsonNode amount = body["amount"]!;
        switch (defect)
        {
            case "no amount":
                body.Remove("amount");
                break;
            case "fractional quantity":
                amount["quantity"] = "1.5";
                break;
            case "numeric quantity":
                amount["quantity"] = 10;
                break;
            case "zero quantity":
                amount["quantity"] = "0";
                break;
            case "bad currency":
                amount["currency"] = "BTC!";
                break;
            case "empty clientExternalId":
                body["clientExternalId"] = "";
                break;
            case "no nonce":
                body.Remove("nonce");
                break;
            case "empty notes":
                body["notes"] = "";
                break;
            case "no payload":
                body.Remove("payload");
                break;
            case "empty signature":
                body["signature"] = "";
                break;
            case "connectionId not a UUID":
                return (
                    path.Replace("/connections/", "/connections/x", StringComparison.Ordinal),
                    body.ToJsonString()
                );
            case "array body":
                return (path, "[]");
            default:
                throw new ArgumentOutOfRangeException(nameof(defect), defect, "no such defect");
        }
        return (path, body.ToJsonString());
    }
}
