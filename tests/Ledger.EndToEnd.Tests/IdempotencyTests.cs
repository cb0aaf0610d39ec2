using System.Text.Json.Nodes;
using Ledger.BitGoSim.Demo;
using Ledger.EndToEnd.Tests.Support;

namespace Ledger.EndToEnd.Tests;

/// <summary>
/// Idempotency at BitGo's edge: one clientExternalId is one transfer, and a nonce is
/// single-use. A repeat that needs no partner call makes none: the ledger accepts no token.
/// </summary>
public sealed class IdempotencyTests(EndToEndFixture fixture)
    : IClassFixture<EndToEndFixture>,
        IDisposable
{
    /// <summary>Enough racing requests to overlap on two cores.</summary>
    private const int ConcurrentRetries = 8;

    public void Dispose() => fixture.Reset();

    [Fact]
    public async Task Same_clientExternalId_and_body_gets_the_same_answer_and_calls_no_partner()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "100");
        JsonObject body = Scenario.Body("10", "once");
        JsonObject first = (await fixture.DeallocateAsync(c, body)).AssertCleared();
        (long events, long tokens) = await CountsAsync();

        HttpAnswer retried = await fixture.DeallocateAsync(c, body);

        JsonObject again = retried.AssertCleared();
        Assert.True(JsonNode.DeepEquals(first, again), $"{first} != {again}");
        Assert.Equal((events, tokens), await CountsAsync());
        Assert.Equal("90/0/0", await fixture.BalanceAsync(c));
    }

    [Fact]
    public async Task Concurrent_retries_of_one_clientExternalId_make_one_hold_and_one_answer()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "100");
        JsonObject body = Scenario.Body("10", "raced");

        HttpAnswer[] answers = await Task.WhenAll(
            Enumerable.Range(0, ConcurrentRetries).Select(_ => fixture.DeallocateAsync(c, body))
        );

        Assert.Single(answers.Select(a => Scenario.IdOf(a.AssertCleared())).Distinct());
        Assert.Equal(1, await fixture.CountDeallocationsAsync(c));
        Assert.Equal("90/0/0", await fixture.BalanceAsync(c));
    }

    [Fact]
    public async Task Same_clientExternalId_with_another_amount_is_409_naming_amount_quantity()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "100");
        JsonObject body = Scenario.Body("10", "changed");
        (await fixture.DeallocateAsync(c, body)).AssertCleared();
        (long events, long tokens) = await CountsAsync();
        body["amount"]!["quantity"] = "11";

        HttpAnswer answer = await fixture.DeallocateAsync(c, body);

        Assert.Equal(409, answer.Status);
        Assert.StartsWith("amount.quantity:", answer.Error, StringComparison.Ordinal);
        Assert.Equal((events, tokens), await CountsAsync());
    }

    [Fact]
    public async Task Nonce_used_by_another_request_is_400_and_reaches_no_partner()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "100");
        JsonObject first = Scenario.Body("10", "first");
        (await fixture.DeallocateAsync(c, first)).AssertCleared();
        (long events, long tokens) = await CountsAsync();
        JsonObject second = Scenario.Body("10", "second");
        second["nonce"] = first["nonce"]!.GetValue<string>();

        HttpAnswer answer = await fixture.DeallocateAsync(c, second);

        Assert.Equal(400, answer.Status);
        Assert.StartsWith("nonce:", answer.Error, StringComparison.Ordinal);
        Assert.Equal((events, tokens), await CountsAsync());
    }

    private async Task<(long Events, long Tokens)> CountsAsync() =>
        (await fixture.CountEventsAsync(), await fixture.CountSeenTokensAsync());
}
