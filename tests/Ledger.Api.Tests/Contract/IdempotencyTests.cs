using System.Net;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Contract;

/// <summary>
/// BitGo retries, so every call is idempotent on its id (contract, "Retry and idempotency
/// rules"): the same body answers byte for byte as before and appends nothing; a different
/// body is a 409 naming the field and appends nothing; allocations and deallocations share
/// one id space.
/// </summary>
public sealed class IdempotencyTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    private const string Currency = "eth";

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Hold_with_same_id_and_same_body_answers_identically_and_appends_nothing(
        string kindName
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        Answer first = await bitgo.OpenReservedAsync(kind, id, c, Currency, "25");
        Assert.False(string.IsNullOrEmpty(first.Text(kind.ReferenceField)));
        BalanceRow balance = await fixture.BalanceAsync(c, Currency);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer retry = await bitgo.PostAsync(kind.OpenPath, kind.Body(id, c, Currency, "25"));

        retry.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(balance, await fixture.BalanceAsync(c, Currency));
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Hold_retry_of_a_refusal_returns_the_identical_rejection_and_appends_nothing(
        string kindName
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        Answer first = await bitgo.OpenRejectedAsync(kind, id, c);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer retry = await bitgo.PostAsync(kind.OpenPath, kind.Body(id, c, "doge", "5"));

        retry.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Fact]
    public async Task Deallocation_retry_repeats_insufficient_funds_even_when_funds_arrived_since()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        Answer first = await bitgo.DeallocateAsync(id, c, Currency, "7");
        Assert.Equal("insufficient funds", first.AssertStatus(HttpStatusCode.OK).RejectionReason());
        await bitgo.FundAsync(c, Currency, "7");
        long eventsBefore = await fixture.CountEventsAsync();

        Answer retry = await bitgo.DeallocateAsync(id, c, Currency, "7");

        retry.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(BalanceRow.Of(7, 0, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Hold_retry_with_quantity_as_a_number_instead_of_a_string_is_the_same_request(
        string kindName
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        Answer first = await bitgo.OpenReservedAsync(kind, id, c, Currency, "31");
        long eventsBefore = await fixture.CountEventsAsync();
        JsonObject body = kind.Body(id, c, Currency, "31");
        body["amount"]!["quantity"] = 31;

        Answer retry = await bitgo.PostAsync(kind.OpenPath, body);

        retry.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("allocation", "amount.quantity")]
    [InlineData("allocation", "amount.currency")]
    [InlineData("allocation", "clientId")]
    [InlineData("allocation", "connectionId")]
    [InlineData("allocation", "partnersConnectionId")]
    [InlineData("allocation", "partnerClientId")]
    [InlineData("deallocation", "amount.quantity")]
    [InlineData("deallocation", "amount.currency")]
    [InlineData("deallocation", "clientId")]
    [InlineData("deallocation", "connectionId")]
    [InlineData("deallocation", "partnersConnectionId")]
    [InlineData("deallocation", "partnerClientId")]
    public async Task Hold_with_same_id_and_a_different_field_is_409_naming_it_and_appends_nothing(
        string kindName,
        string field
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        Answer first = await bitgo.OpenReservedAsync(kind, id, c, Currency, "40");
        BalanceRow balance = await fixture.BalanceAsync(c, Currency);
        long eventsBefore = await fixture.CountEventsAsync();
        JsonObject body = kind.Body(id, c, Currency, "40");
        Change(body, field);

        Answer conflict = await bitgo.PostAsync(kind.OpenPath, body);

        conflict.AssertProblemNaming(HttpStatusCode.Conflict, field);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(balance, await fixture.BalanceAsync(c, Currency));
        // The original stands: a retry of the original body still gets the original answer.
        Answer original = await bitgo.PostAsync(kind.OpenPath, kind.Body(id, c, Currency, "40"));
        Assert.Equal(first.Body, original.Body);
    }

    [Fact]
    public async Task Deallocation_reusing_an_allocation_id_is_409_and_appends_nothing()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, Currency, "100");
        Guid id = Guid.NewGuid();
        await bitgo.OpenReservedAsync(HoldKind.Allocation, id, c, Currency, "10");
        long eventsBefore = await fixture.CountEventsAsync();

        Answer conflict = await bitgo.DeallocateAsync(id, c, Currency, "10");

        conflict.AssertProblemNaming(HttpStatusCode.Conflict, "deallocationId");
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(BalanceRow.Of(100, 0, 10), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task Allocation_reusing_a_deallocation_id_is_409_and_appends_nothing()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        await bitgo.OpenReservedAsync(HoldKind.Deallocation, id, c, Currency, "10");
        long eventsBefore = await fixture.CountEventsAsync();

        Answer conflict = await bitgo.PostAsync(
            HoldKind.Allocation.OpenPath,
            HoldKind.Allocation.Body(id, c, Currency, "10")
        );

        conflict.AssertProblemNaming(HttpStatusCode.Conflict, "allocationId");
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(BalanceRow.Of(0, 10, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task Deallocation_reusing_a_refused_allocation_id_is_409_and_appends_nothing()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        await bitgo.OpenRejectedAsync(HoldKind.Allocation, id, c);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer conflict = await bitgo.PostAsync(
            HoldKind.Deallocation.OpenPath,
            HoldKind.Deallocation.Body(id, c, "doge", "5")
        );

        conflict.AssertProblemNaming(HttpStatusCode.Conflict, "deallocationId");
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Fact]
    public async Task Connection_activation_with_same_id_and_same_body_answers_identically()
    {
        BitGoClient bitgo = fixture.BitGo();
        JsonObject body = ActivationBody(Guid.NewGuid());
        Answer first = await bitgo.PostAsync("/bitgo/v1/connections", body);
        first.AssertStatus(HttpStatusCode.OK);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer retry = await bitgo.PostAsync("/bitgo/v1/connections", body);

        retry.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("clientId")]
    [InlineData("clientWalletId")]
    [InlineData("partnerId")]
    [InlineData("connectionToken")]
    public async Task Connection_activation_with_same_id_and_a_different_field_is_409_naming_it(
        string field
    )
    {
        BitGoClient bitgo = fixture.BitGo();
        JsonObject body = ActivationBody(Guid.NewGuid());
        (await bitgo.PostAsync("/bitgo/v1/connections", body)).AssertStatus(HttpStatusCode.OK);
        long eventsBefore = await fixture.CountEventsAsync();
        JsonObject changed = body.DeepClone().AsObject();
        changed[field] = field is "clientId" or "partnerId" ? Guid.NewGuid().ToString() : "changed";

        Answer conflict = await bitgo.PostAsync("/bitgo/v1/connections", changed);

        conflict.AssertProblemNaming(HttpStatusCode.Conflict, field);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Fact]
    public async Task Connection_activation_reusing_a_deallocation_id_is_409_and_appends_nothing()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        await bitgo.OpenRejectedAsync(HoldKind.Deallocation, id, c);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer conflict = await bitgo.PostAsync("/bitgo/v1/connections", ActivationBody(id));

        conflict.AssertProblemNaming(HttpStatusCode.Conflict, "connectionId");
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    private static JsonObject ActivationBody(Guid connectionId) =>
        new()
        {
            ["clientId"] = Guid.NewGuid().ToString(),
            ["clientWalletId"] = "wallet-1",
            ["connectionId"] = connectionId.ToString(),
            ["connectionToken"] = "token-" + connectionId.ToString("N"),
            ["partnerId"] = Guid.NewGuid().ToString(),
        };

    /// <summary>Changes one field of a hold body to another valid value.</summary>
    private static void Change(JsonObject body, string field)
    {
        switch (field)
        {
            case "amount.quantity":
                body["amount"]!["quantity"] = "41";
                break;
            case "amount.currency":
                body["amount"]!["currency"] = "btc";
                break;
            case "clientId" or "connectionId":
                body[field] = Guid.NewGuid().ToString();
                break;
            default:
                body[field] = body[field]!.GetValue<string>() + "-other";
                break;
        }
    }
}
