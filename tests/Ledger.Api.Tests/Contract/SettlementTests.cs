using System.Net;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Contract;

/// <summary>
/// Clear and release after TigerBeetle's post and void (contract, "Retry and idempotency
/// rules"): a repeat of the same settlement is 200 with the same answer; leaving a final state
/// the other way is 409; an unknown id is 404. None of them appends anything.
/// </summary>
public sealed class SettlementTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    private const string Currency = "usdc";

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Clear_after_clear_is_200_with_the_same_answer_and_appends_nothing(
        string kindName
    )
    {
        await AssertRepeatAsync(HoldKind.Named(kindName), "clear");
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Release_after_release_is_200_with_the_same_answer_and_appends_nothing(
        string kindName
    )
    {
        await AssertRepeatAsync(HoldKind.Named(kindName), "release");
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Clear_after_release_is_409_and_appends_nothing(string kindName)
    {
        await AssertConflictAsync(HoldKind.Named(kindName), first: "release", then: "clear");
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Release_after_clear_is_409_and_appends_nothing(string kindName)
    {
        await AssertConflictAsync(HoldKind.Named(kindName), first: "clear", then: "release");
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Clear_after_rejection_is_409_and_appends_nothing(string kindName)
    {
        HoldKind kind = HoldKind.Named(kindName);
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        await bitgo.OpenRejectedAsync(kind, id, c);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer answer = await bitgo.PutAsync(kind.SettlePath(id, "clear"));

        answer.AssertProblemNaming(HttpStatusCode.Conflict, kind.IdField);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal("rejected/unknown currency", await fixture.HoldStatusAsync(id));
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Release_after_rejection_is_200_because_a_refusal_reads_as_released(
        string kindName
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        Answer opened = await bitgo.OpenRejectedAsync(kind, id, c);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer first = await bitgo.PutAsync(kind.SettlePath(id, "release"));
        Answer second = await bitgo.PutAsync(kind.SettlePath(id, "release"));

        first.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(opened.Body, first.Body);
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal("rejected/unknown currency", await fixture.HoldStatusAsync(id));
    }

    [Theory]
    [InlineData("allocation", "clear")]
    [InlineData("allocation", "release")]
    [InlineData("deallocation", "clear")]
    [InlineData("deallocation", "release")]
    public async Task Settling_an_unknown_id_is_404_and_appends_nothing(
        string kindName,
        string settlement
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer answer = await fixture.BitGo().PutAsync(kind.SettlePath(Guid.NewGuid(), settlement));

        answer.AssertProblemNaming(HttpStatusCode.NotFound, kind.IdField);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Status_of_an_unknown_id_is_404(string kindName)
    {
        HoldKind kind = HoldKind.Named(kindName);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer answer = await fixture.BitGo().GetAsync(kind.StatusPath(Guid.NewGuid()));

        answer.AssertProblemNaming(HttpStatusCode.NotFound, kind.IdField);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("allocation", "deallocation", "clear")]
    [InlineData("allocation", "deallocation", "release")]
    [InlineData("deallocation", "allocation", "clear")]
    [InlineData("deallocation", "allocation", "release")]
    public async Task Settling_an_id_of_the_other_kind_is_404_and_appends_nothing(
        string openedKind,
        string askedKind,
        string settlement
    )
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        await bitgo.OpenReservedAsync(HoldKind.Named(openedKind), id, c, Currency, "3");
        HoldKind asked = HoldKind.Named(askedKind);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer settle = await bitgo.PutAsync(asked.SettlePath(id, settlement));
        Answer status = await bitgo.GetAsync(asked.StatusPath(id));

        settle.AssertProblemNaming(HttpStatusCode.NotFound, asked.IdField);
        status.AssertProblemNaming(HttpStatusCode.NotFound, asked.IdField);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("allocation", "clear", "cleared")]
    [InlineData("allocation", "release", "released")]
    [InlineData("deallocation", "clear", "cleared")]
    [InlineData("deallocation", "release", "released")]
    public async Task Status_answers_the_settled_state_in_BitGo_words(
        string kindName,
        string settlement,
        string word
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        await bitgo.OpenReservedAsync(kind, id, c, Currency, "3");
        Answer reserved = await bitgo.GetAsync(kind.StatusPath(id));

        (await bitgo.PutAsync(kind.SettlePath(id, settlement))).AssertStatus(HttpStatusCode.OK);
        Answer settled = await bitgo.GetAsync(kind.StatusPath(id));

        Assert.Equal("reserved", reserved.AssertStatus(HttpStatusCode.OK).Text("status"));
        Assert.Equal(word, settled.AssertStatus(HttpStatusCode.OK).Text("status"));
        Assert.Null(settled.Json["reason"]);
        Assert.Null(settled.Json["rejectionReason"]);
        Assert.Equal(id.ToString(), settled.Text(kind.IdField));
        Assert.Equal(3, settled.Json["amount"]!["quantity"]!.GetValue<int>());
    }

    /// <summary>Settles a reserved hold twice the same way: one event, one answer twice.</summary>
    private async Task AssertRepeatAsync(HoldKind kind, string settlement)
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        Answer opened = await bitgo.OpenReservedAsync(kind, id, c, Currency, "9");
        Answer first = await bitgo.PutAsync(kind.SettlePath(id, settlement));
        first.AssertStatus(HttpStatusCode.OK);
        BalanceRow balance = await fixture.BalanceAsync(c, Currency);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer second = await bitgo.PutAsync(kind.SettlePath(id, settlement));

        second.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(first.Body, second.Body);
        // The settlement answer has the open answer's shape and the same partner reference.
        Assert.Equal(opened.Text(kind.ReferenceField), second.Text(kind.ReferenceField));
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(balance, await fixture.BalanceAsync(c, Currency));
        string step = settlement == "clear" ? "cleared" : "released";
        Assert.Equal(
            $"{kind.EventType("requested")},{kind.EventType("reserved")},{kind.EventType(step)}",
            await fixture.StreamEventTypesAsync(id)
        );
    }

    /// <summary>Settles a reserved hold one way, then the other: 409, nothing appended.</summary>
    private async Task AssertConflictAsync(HoldKind kind, string first, string then)
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        await bitgo.OpenReservedAsync(kind, id, c, Currency, "9");
        (await bitgo.PutAsync(kind.SettlePath(id, first))).AssertStatus(HttpStatusCode.OK);
        BalanceRow balance = await fixture.BalanceAsync(c, Currency);
        string? status = await fixture.HoldStatusAsync(id);
        long eventsBefore = await fixture.CountEventsAsync();

        Answer answer = await bitgo.PutAsync(kind.SettlePath(id, then));

        answer.AssertProblemNaming(HttpStatusCode.Conflict, kind.IdField);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(balance, await fixture.BalanceAsync(c, Currency));
        Assert.Equal(status, await fixture.HoldStatusAsync(id));
    }
}
