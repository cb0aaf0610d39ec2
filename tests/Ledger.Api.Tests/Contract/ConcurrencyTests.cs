using System.Net;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Contract;

/// <summary>
/// Racing requests (contract: "Racing duplicate requests must not both take effect"). Every
/// answer is a contract answer, never a 5xx, and the log and balances show each effect once.
/// </summary>
public sealed class ConcurrencyTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    private const string Currency = "btc";

    [Fact]
    public async Task Concurrent_200_deallocations_of_1_against_50_reserve_50_and_reject_150()
    {
        const int RequestCount = 200;
        const int AvailableQuantity = 50;
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, Currency, $"{AvailableQuantity}");
        long eventsBefore = await fixture.CountEventsAsync();

        Answer[] answers = await Task.WhenAll(
            Enumerable
                .Range(0, RequestCount)
                .Select(_ =>
                    Task.Run(() => bitgo.DeallocateAsync(Guid.NewGuid(), c, Currency, "1"))
                )
        );

        Assert.All(answers, a => a.AssertStatus(HttpStatusCode.OK));
        string?[] reasons = [.. answers.Select(a => a.RejectionReason())];
        Assert.Equal(AvailableQuantity, reasons.Count(r => r is null));
        Assert.Equal(
            RequestCount - AvailableQuantity,
            reasons.Count(r => r == "insufficient funds")
        );
        Assert.Equal(
            BalanceRow.Of(0, AvailableQuantity, 0),
            await fixture.BalanceAsync(c, Currency)
        );
        // Each deallocation is one stream of two events: requested, then reserved or rejected.
        Assert.Equal(eventsBefore + (2 * RequestCount), await fixture.CountEventsAsync());
        Assert.Equal(
            AvailableQuantity,
            await fixture.ScalarAsync<long>(
                """
                SELECT count(*) FROM ledger.hold_status
                WHERE connection_id = $1 AND status = 'reserved'
                """,
                c.ConnectionId
            )
        );
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Concurrent_20_identical_posts_of_one_id_make_one_stream_and_one_answer(
        string kindName
    )
    {
        const int RequestCount = 20;
        HoldKind kind = HoldKind.Named(kindName);
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, Currency, "100");
        long eventsBefore = await fixture.CountEventsAsync();
        Guid id = Guid.NewGuid();

        Answer[] answers = await Task.WhenAll(
            Enumerable
                .Range(0, RequestCount)
                .Select(_ =>
                    Task.Run(() => bitgo.PostAsync(kind.OpenPath, kind.Body(id, c, Currency, "30")))
                )
        );

        Assert.All(answers, a => a.AssertStatus(HttpStatusCode.OK));
        Assert.Single(answers.Select(a => a.Body).Distinct());
        Assert.Null(answers[0].RejectionReason());
        Assert.Equal(
            $"{kind.EventType("requested")},{kind.EventType("reserved")}",
            await fixture.StreamEventTypesAsync(id)
        );
        Assert.Equal(eventsBefore + 2, await fixture.CountEventsAsync());
        BalanceRow expected =
            kind == HoldKind.Allocation ? BalanceRow.Of(100, 0, 30) : BalanceRow.Of(70, 30, 0);
        Assert.Equal(expected, await fixture.BalanceAsync(c, Currency));
    }

    /// <summary>
    /// Clear and release race on one reserved hold, several rounds so that either may win.
    /// Exactly one transition is appended; the winner's kind answers 200 with one body, the
    /// other kind 409 (clear after release, release after clear); nothing is a 5xx.
    /// </summary>
    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Concurrent_clear_and_release_of_one_hold_append_exactly_one_transition(
        string kindName
    )
    {
        const int RoundCount = 4;
        const int TaskCount = 10;
        HoldKind kind = HoldKind.Named(kindName);
        BitGoClient bitgo = fixture.BitGo();
        string[] settlements =
        [
            .. Enumerable.Range(0, TaskCount).Select(i => i % 2 == 0 ? "clear" : "release"),
        ];
        for (int round = 0; round < RoundCount; round++)
        {
            TestConnection c = await bitgo.ConnectAsync();
            Guid id = Guid.NewGuid();
            await bitgo.OpenReservedAsync(kind, id, c, Currency, "8");
            long eventsBefore = await fixture.CountEventsAsync();

            Answer[] answers = await Task.WhenAll(
                settlements.Select(s => Task.Run(() => bitgo.PutAsync(kind.SettlePath(id, s))))
            );

            Assert.Equal(eventsBefore + 1, await fixture.CountEventsAsync());
            string types = await fixture.StreamEventTypesAsync(id);
            bool cleared = types.EndsWith("_cleared", StringComparison.Ordinal);
            string winner = cleared ? "clear" : "release";
            Assert.Equal(
                $"{kind.EventType("requested")},{kind.EventType("reserved")},"
                    + kind.EventType(cleared ? "cleared" : "released"),
                types
            );
            var won = answers.Where((_, i) => settlements[i] == winner).ToList();
            var lost = answers.Where((_, i) => settlements[i] != winner).ToList();
            Assert.All(won, a => a.AssertStatus(HttpStatusCode.OK));
            Assert.Single(won.Select(a => a.Body).Distinct());
            Assert.All(lost, a => a.AssertProblemNaming(HttpStatusCode.Conflict, kind.IdField));
            Assert.Equal(ExpectedAfter(kind, cleared), await fixture.BalanceAsync(c, Currency));
        }
    }

    /// <summary>The balance once a hold of 8 settles (a deallocation had just 8 funded).</summary>
    private static BalanceRow ExpectedAfter(HoldKind kind, bool cleared) =>
        (kind == HoldKind.Allocation, cleared) switch
        {
            (true, true) => BalanceRow.Of(8, 0, 0),
            (true, false) => BalanceRow.Zero,
            (false, true) => BalanceRow.Zero,
            (false, false) => BalanceRow.Of(8, 0, 0),
        };
}
