using System.Text.Json.Nodes;
using Ledger.BitGoSim.Demo;
using Ledger.BitGoSim.Hosting;
using Ledger.BitGoSim.Transfers;
using Ledger.EndToEnd.Tests.Support;

namespace Ledger.EndToEnd.Tests;

/// <summary>The allocation twin, connection activation, and the other rehearsal faults.</summary>
public sealed class AllocationAndFaultTests(EndToEndFixture fixture)
    : IClassFixture<EndToEndFixture>,
        IDisposable
{
    /// <summary>Long enough to see the hold reserved at the ledger, short for the suite.</summary>
    private const int ClearDelayMilliseconds = 1_500;

    private const int PollIntervalMilliseconds = 25;

    public void Dispose() => fixture.Reset();

    [Fact]
    public async Task Allocation_is_reserved_then_cleared_and_becomes_available()
    {
        TestConnection c = await fixture.ConnectAsync();

        HttpAnswer answer = await fixture.TransferAsync(
            TransferKind.Allocation,
            c,
            Scenario.Body("500", "alloc-1")
        );

        JsonObject a = answer.AssertCleared("allocation");
        await fixture.AssertPartnerReferenceAsync(a);
        Assert.Equal(
            "allocation_requested,allocation_reserved,allocation_cleared",
            await fixture.StreamAsync(Scenario.IdOf(a))
        );
        Assert.Equal("500/0/0", await fixture.BalanceAsync(c));
        await fixture.AssertReconciledAsync(c);
    }

    [Fact]
    public async Task Connection_activation_is_idempotent_on_the_connection_token()
    {
        TestConnection c = await fixture.ConnectAsync();

        HttpAnswer again = await fixture
            .Clients()
            .ConnectAsync(c.Enterprise.Id, c.Enterprise.Token, $"account-of-{c.Enterprise.Id}");

        Assert.Equal(200, again.Status);
        JsonObject connection = again.Object("connection")!;
        Assert.Equal(c.ConnectionId.ToString(), HttpAnswer.Text(connection, "id"));
        Assert.Equal(c.PartnersConnectionId, HttpAnswer.Text(connection, "partnersConnectionId"));
        Assert.Equal(1, await fixture.CountConnectionsAsync(c));
    }

    [Fact]
    public async Task Activation_while_the_partner_is_down_is_500_pending_and_a_retry_activates_it()
    {
        TestEnterprise enterprise = fixture.NextEnterprise();
        SimApiClient clients = fixture.Clients();
        fixture.Target.BaseUrl = Scenario.ClosedLoopbackUrl();

        HttpAnswer down = await clients.ConnectAsync(enterprise.Id, enterprise.Token, "acct");
        fixture.Target.BaseUrl = fixture.LedgerUrl;
        HttpAnswer up = await clients.ConnectAsync(enterprise.Id, enterprise.Token, "acct");

        Assert.Equal(500, down.Status);
        Assert.Equal("pending", HttpAnswer.Text(down.Object("connection"), "status"));
        Assert.Equal(200, up.Status);
        Assert.Equal("active", HttpAnswer.Text(up.Object("connection"), "status"));
        Assert.Equal(
            HttpAnswer.Text(down.Object("connection"), "id"),
            HttpAnswer.Text(up.Object("connection"), "id")
        );
    }

    [Fact]
    public async Task Release_instead_of_clear_is_422_released_and_the_funds_stay_available()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "100");
        fixture.Faults.Set(new SimFaults(ReleaseInsteadOfClear: true));

        HttpAnswer answer = await fixture.DeallocateAsync(c, Scenario.Body("40", "released"));

        JsonObject d = answer.AssertTransfer(422, "deallocation", "released", retriable: false);
        Assert.Equal(TransferFlow.ReleasedByFault, HttpAnswer.Text(d, "reason"));
        Assert.Equal(
            "deallocation_requested,deallocation_reserved,deallocation_released",
            await fixture.StreamAsync(Scenario.IdOf(d))
        );
        Assert.Equal("100/0/0", await fixture.BalanceAsync(c));
        await fixture.AssertReconciledAsync(c);
    }

    [Fact]
    public async Task Delayed_clear_leaves_the_hold_reserved_at_the_partner_until_BitGo_clears_it()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "100");
        fixture.Faults.Set(new SimFaults(ClearDelayMilliseconds: ClearDelayMilliseconds));

        Task<HttpAnswer> pending = fixture.DeallocateAsync(c, Scenario.Body("50", "slow"));
        string seenWhilePending = await PollBalanceUntilAsync(c, "50/50/0", pending);
        HttpAnswer answer = await pending;

        Assert.Equal("50/50/0", seenWhilePending);
        answer.AssertCleared();
        Assert.Equal("50/0/0", await fixture.BalanceAsync(c));
        await fixture.AssertReconciledAsync(c);
    }

    [Fact]
    public async Task Retry_after_an_unanswered_clear_only_clears_and_never_reserves_again()
    {
        TestConnection c = await fixture.ConnectAsync();
        await fixture.FundAsync(c, "100");
        fixture.Faults.Set(new SimFaults(ClearDelayMilliseconds: ClearDelayMilliseconds));
        JsonObject body = Scenario.Body("30", "clear-lost");

        // The partner goes away between the reserve and the clear.
        Task<HttpAnswer> pending = fixture.DeallocateAsync(c, body);
        Assert.Equal("70/30/0", await PollBalanceUntilAsync(c, "70/30/0", pending));
        fixture.Target.BaseUrl = Scenario.ClosedLoopbackUrl();
        HttpAnswer unanswered = await pending;
        Guid id = Scenario.IdOf(unanswered.AssertTransfer(500, "deallocation", "reserved", true));
        fixture.Reset();
        long tokens = await fixture.CountSeenTokensAsync();

        HttpAnswer retried = await fixture.DeallocateAsync(c, body);

        Assert.Equal(id, Scenario.IdOf(retried.AssertCleared()));
        Assert.Equal(tokens + 1, await fixture.CountSeenTokensAsync());
        Assert.Equal(
            "deallocation_requested,deallocation_reserved,deallocation_cleared",
            await fixture.StreamAsync(id)
        );
        Assert.Equal("70/0/0", await fixture.BalanceAsync(c));
        await fixture.AssertReconciledAsync(c);
    }

    /// <summary>Reads the balance until it is the expected one or the call has finished.</summary>
    private async Task<string> PollBalanceUntilAsync(TestConnection c, string expected, Task call)
    {
        string balance = await fixture.BalanceAsync(c);
        while (balance != expected && !call.IsCompleted)
        {
            await Task.Delay(PollIntervalMilliseconds);
            balance = await fixture.BalanceAsync(c);
        }
        return balance;
    }
}
