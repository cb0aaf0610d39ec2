using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Ledger.BitGoSim.Demo;
using Ledger.BitGoSim.Hosting;
using Ledger.EndToEnd.Tests.Support;

namespace Ledger.EndToEnd.Tests;

/// <summary>
/// Seed 000's scenarios, played by a client against the simulator, which plays BitGo against
/// the ledger over HTTP. After each one the test reads the ledger's streams and balances, and
/// checks BitGo's balance view against the ledger's.
/// </summary>
public sealed class DeallocationScenarioTests(EndToEndFixture fixture)
    : IClassFixture<EndToEndFixture>,
        IDisposable
{
    private const string Reserved = "deallocation_requested,deallocation_reserved";
    private const string Cleared = Reserved + ",deallocation_cleared";
    private const string Rejected = "deallocation_requested,deallocation_rejected";

    public void Dispose() => fixture.Reset();

    [Fact]
    public async Task Deallocation_the_partner_reserves_is_200_cleared_and_moves_funds_once()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "1000");

        HttpAnswer answer = await fixture.DeallocateAsync(c, Scenario.Body("400", "trade-1"));

        JsonObject d = answer.AssertCleared();
        Assert.Equal("400", d["amount"]!["quantity"]!.GetValue<string>());
        Assert.Equal("btc", d["amount"]!["currency"]!.GetValue<string>());
        Assert.Equal(c.ConnectionId.ToString(), HttpAnswer.Text(d, "connectionId"));
        Assert.Equal("trade-1", HttpAnswer.Text(d, "clientExternalId"));
        Assert.False(string.IsNullOrEmpty(HttpAnswer.Text(d, "initiatedBy")));
        Assert.Null(d["reason"]);
        await fixture.AssertPartnerReferenceAsync(d);
        Assert.Equal(Cleared, await fixture.StreamAsync(Scenario.IdOf(d)));
        Assert.Equal("600/0/0", await fixture.BalanceAsync(c));
        await fixture.AssertReconciledAsync(c);
    }

    [Fact]
    public async Task Insufficient_funds_is_422_released_with_the_partners_reason_and_funds_stay()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "100");
        long events = await fixture.CountEventsAsync();

        HttpAnswer answer = await fixture.DeallocateAsync(c, Scenario.Body("150", "too-much"));

        JsonObject d = answer.AssertTransfer(422, "deallocation", "released", retriable: false);
        Assert.Equal("insufficient funds", HttpAnswer.Text(d, "reason"));
        Assert.Contains("insufficient funds", answer.Error, StringComparison.Ordinal);
        // The refusal is recorded as data, two events in the hold's own stream; no funds move.
        Assert.Equal(Rejected, await fixture.StreamAsync(Scenario.IdOf(d)));
        Assert.Equal(events + 2, await fixture.CountEventsAsync());
        Assert.Equal("100/0/0", await fixture.BalanceAsync(c));
        await fixture.AssertReconciledAsync(c);
    }

    [Fact]
    public async Task Inactive_connection_is_422_released_with_reason_inactive_connection()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "100");
        using HttpClient queries = fixture.LedgerQueries();
        using var reason = new StringContent(
            """{"reason":"account frozen"}""",
            Encoding.UTF8,
            "application/json"
        );
        using HttpResponseMessage deactivated = await queries.PostAsync(
            $"/api/v1/connections/{c.ConnectionId}/deactivate",
            reason
        );
        Assert.Equal(HttpStatusCode.OK, deactivated.StatusCode);

        HttpAnswer answer = await fixture.DeallocateAsync(c, Scenario.Body("50", "frozen"));

        JsonObject d = answer.AssertTransfer(422, "deallocation", "released", retriable: false);
        Assert.Equal("inactive connection", HttpAnswer.Text(d, "reason"));
        Assert.Equal(Rejected, await fixture.StreamAsync(Scenario.IdOf(d)));
        Assert.Equal("100/0/0", await fixture.BalanceAsync(c));
        await fixture.AssertReconciledAsync(c);
    }

    [Fact]
    public async Task Unreachable_partner_is_500_reserved_retriable_and_the_retry_clears_it()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "100");
        long events = await fixture.CountEventsAsync();
        fixture.Target.BaseUrl = Scenario.ClosedLoopbackUrl();
        JsonObject body = Scenario.Body("40", "while-down");

        HttpAnswer down = await fixture.DeallocateAsync(c, body);

        JsonObject d = down.AssertTransfer(500, "deallocation", "reserved", retriable: true);
        Assert.Contains("unreachable", down.Error, StringComparison.Ordinal);
        Guid id = Scenario.IdOf(d);
        Assert.Equal("", await fixture.StreamAsync(id));
        Assert.Equal(events, await fixture.CountEventsAsync());

        fixture.Target.BaseUrl = fixture.LedgerUrl;
        HttpAnswer retried = await fixture.DeallocateAsync(c, body);

        Assert.Equal(id, Scenario.IdOf(retried.AssertCleared()));
        Assert.Equal(Cleared, await fixture.StreamAsync(id));
        Assert.Equal("60/0/0", await fixture.BalanceAsync(c));
        await fixture.AssertReconciledAsync(c);
    }

    [Fact]
    public async Task Duplicated_webhooks_reach_the_ledger_twice_and_change_it_once()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "100");
        long tokens = await fixture.CountSeenTokensAsync();
        fixture.Faults.Set(new SimFaults(DuplicateWebhooks: true));

        HttpAnswer answer = await fixture.DeallocateAsync(c, Scenario.Body("30", "twice"));

        Guid id = Scenario.IdOf(answer.AssertCleared());
        // Reserve and clear, each delivered twice with its own token.
        Assert.Equal(tokens + 4, await fixture.CountSeenTokensAsync());
        Assert.Equal(Cleared, await fixture.StreamAsync(id));
        Assert.Equal("70/0/0", await fixture.BalanceAsync(c));
        // The ledger answered each duplicate exactly as it answered the original.
        Assert.All(
            fixture.Store.Find(id)!.Timeline.Where(e => e.Actor == "BitGo->partner"),
            e => Assert.DoesNotContain("DIFFERENT", e.Text, StringComparison.Ordinal)
        );
        await fixture.AssertReconciledAsync(c);
    }

    [Fact]
    public async Task Lost_response_is_500_reserved_and_the_retry_clears_the_one_hold()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "100");
        fixture.Faults.Set(new SimFaults(DropResponses: 1));
        JsonObject body = Scenario.Body("25", "lost-answer");

        HttpAnswer lost = await fixture.DeallocateAsync(c, body);

        Guid id = Scenario.IdOf(lost.AssertTransfer(500, "deallocation", "reserved", true));
        Assert.Equal(Reserved, await fixture.StreamAsync(id));
        Assert.Equal("75/25/0", await fixture.BalanceAsync(c));

        HttpAnswer retried = await fixture.DeallocateAsync(c, body);

        JsonObject d = retried.AssertCleared();
        Assert.Equal(id, Scenario.IdOf(d));
        await fixture.AssertPartnerReferenceAsync(d);
        Assert.Equal(1, await fixture.CountDeallocationsAsync(c));
        Assert.Equal(Cleared, await fixture.StreamAsync(id));
        Assert.Equal("75/0/0", await fixture.BalanceAsync(c));
        await fixture.AssertReconciledAsync(c);
    }
}
