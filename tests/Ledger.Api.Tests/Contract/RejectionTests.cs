using System.Net;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Contract;

/// <summary>
/// The contract's reasons to refuse a hold. A refusal is a 200 with rejectionReason, never an
/// error status. It is recorded (requested + rejected, so a retry meets the same reason) and it
/// moves no balance: these tests assert exactly those two events and unchanged balances.
/// </summary>
public sealed class RejectionTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    private const string Currency = "btc";

    /// <summary>A refusal is stored as request + rejection, so that a retry repeats it.</summary>
    private const int RefusalEventCount = 2;

    private const string InsufficientFunds = "insufficient funds";

    [Fact]
    public async Task Deallocation_for_more_than_available_is_200_with_rejectionReason_insufficient_funds_and_status_released()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, Currency, "100");
        BalanceRow before = await fixture.BalanceAsync(c, Currency);
        long eventsBefore = await fixture.CountEventsAsync();

        Guid id = Guid.NewGuid();
        Answer answer = await bitgo.DeallocateAsync(id, c, Currency, "101");

        AssertRefused(answer, HoldKind.Deallocation, id, InsufficientFunds);
        Assert.Equal(BalanceRow.Of(100, 0, 0), before);
        Assert.Equal(before, await fixture.BalanceAsync(c, Currency));
        await AssertRecordedAsRefusalAsync(
            HoldKind.Deallocation,
            id,
            InsufficientFunds,
            eventsBefore
        );
    }

    [Fact]
    public async Task Deallocation_with_no_balance_row_at_all_is_refused_with_insufficient_funds()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        long eventsBefore = await fixture.CountEventsAsync();

        Answer answer = await bitgo.DeallocateAsync(id, c, Currency, "1");

        AssertRefused(answer, HoldKind.Deallocation, id, InsufficientFunds);
        Assert.Equal(BalanceRow.Zero, await fixture.BalanceAsync(c, Currency));
        await AssertRecordedAsRefusalAsync(
            HoldKind.Deallocation,
            id,
            InsufficientFunds,
            eventsBefore
        );
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Hold_on_an_unknown_connection_is_200_with_rejectionReason_unknown_connection(
        string kindName
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        var stranger = new TestConnection(Guid.NewGuid(), Guid.NewGuid(), "pcn-x", "pc-x");
        await AssertRefusalAsync(kind, stranger, body => { }, "unknown connection");
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Hold_with_a_partnersConnectionId_not_of_the_connection_is_refused(
        string kindName
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        TestConnection c = await FundedConnectionAsync();
        await AssertRefusalAsync(
            kind,
            c,
            body => body["partnersConnectionId"] = c.PartnersConnectionId + "x",
            "partnersConnectionId does not match the connection"
        );
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Hold_with_a_partnerClientId_not_of_the_connection_is_refused(string kindName)
    {
        HoldKind kind = HoldKind.Named(kindName);
        TestConnection c = await FundedConnectionAsync();
        await AssertRefusalAsync(
            kind,
            c,
            body => body["partnerClientId"] = c.PartnerClientId + "x",
            "partnerClientId does not match the connection"
        );
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Hold_with_a_clientId_not_of_the_connection_is_refused(string kindName)
    {
        HoldKind kind = HoldKind.Named(kindName);
        TestConnection c = await FundedConnectionAsync();
        await AssertRefusalAsync(
            kind,
            c,
            body => body["clientId"] = Guid.NewGuid().ToString(),
            "clientId does not match the connection"
        );
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Hold_on_a_deactivated_connection_is_refused_with_inactive_connection(
        string kindName
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        TestConnection c = await FundedConnectionAsync();
        BitGoClient bitgo = fixture.BitGo();
        (
            await bitgo.PostAsync(
                $"/api/v1/connections/{c.ConnectionId}/deactivate",
                new JsonObject { ["reason"] = "client closed the account" }
            )
        ).AssertStatus(HttpStatusCode.OK);
        await AssertRefusalAsync(kind, c, body => { }, "inactive connection");
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Hold_in_a_well_formed_but_unknown_currency_is_refused_with_unknown_currency(
        string kindName
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        TestConnection c = await FundedConnectionAsync();
        await AssertRefusalAsync(
            kind,
            c,
            body => body["amount"]!["currency"] = "doge",
            "unknown currency",
            currency: "doge"
        );
    }

    /// <summary>A connection with 1000 btc available: only the rule under test refuses.</summary>
    private async Task<TestConnection> FundedConnectionAsync()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, Currency, "1000");
        return c;
    }

    private async Task AssertRefusalAsync(
        HoldKind kind,
        TestConnection c,
        Action<JsonObject> change,
        string reason,
        string currency = Currency
    )
    {
        BitGoClient bitgo = fixture.BitGo();
        BalanceRow before = await fixture.BalanceAsync(c, currency);
        long eventsBefore = await fixture.CountEventsAsync();
        Guid id = Guid.NewGuid();
        JsonObject body = kind.Body(id, c, Currency, "10");
        change(body);

        Answer answer = await bitgo.PostAsync(kind.OpenPath, body);

        AssertRefused(answer, kind, id, reason);
        Assert.Equal(before, await fixture.BalanceAsync(c, currency));
        await AssertRecordedAsRefusalAsync(kind, id, reason, eventsBefore);
    }

    private static void AssertRefused(Answer answer, HoldKind kind, Guid id, string reason)
    {
        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(id.ToString(), answer.Text(kind.IdField));
        Assert.Equal(reason, answer.RejectionReason());
        Assert.False(string.IsNullOrEmpty(answer.Text(kind.ReferenceField)), answer.Body);
    }

    /// <summary>
    /// The refusal is stored as requested + rejected and nothing else anywhere in the log, the
    /// status read model says rejected, and BitGo's status call reads it as released with the
    /// reason (and appends nothing).
    /// </summary>
    private async Task AssertRecordedAsRefusalAsync(
        HoldKind kind,
        Guid id,
        string reason,
        long eventsBefore
    )
    {
        Assert.Equal(eventsBefore + RefusalEventCount, await fixture.CountEventsAsync());
        Assert.Equal(
            $"{kind.EventType("requested")},{kind.EventType("rejected")}",
            await fixture.StreamEventTypesAsync(id)
        );
        Assert.Equal($"rejected/{reason}", await fixture.HoldStatusAsync(id));
        Answer status = await fixture.BitGo().GetAsync(kind.StatusPath(id));
        status.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("released", status.Text("status"));
        Assert.Equal(reason, status.Text("reason"));
        Assert.Equal(eventsBefore + RefusalEventCount, await fixture.CountEventsAsync());
    }
}
