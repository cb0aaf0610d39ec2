using System.Net;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// Issue 7's deterministic contention tests: every request of a burst is released at the same
/// instant by one gate, and each is sent as BitGo sends it (again on a 503 or a retriable 409,
/// with the same id and body), so the outcome may not depend on the interleaving.
/// </summary>
public sealed class ContentionTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    private const string Currency = "btc";

    /// <summary>How often one request is sent again on a 503; more means a real outage.</summary>
    private const int BitGoSendsMax = 50;

    private const int BitGoRetryDelayMilliseconds = 100;

    /// <summary>
    /// 1,000 deallocations of 10 at once over 10 balances of 700 each: every funded unit is
    /// reserved (70 per balance), and nothing more (30 per balance refused, available 0).
    /// </summary>
    [Fact]
    public async Task Racing_deallocations_reserve_every_funded_unit_and_nothing_more()
    {
        const int BalanceCount = 10;
        const int DeallocationsPerBalance = 100;
        const int Quantity = 10;
        const int FundedPerBalance = 700;
        const int ReservedPerBalance = FundedPerBalance / Quantity;
        BitGoClient bitgo = fixture.BitGo();
        var connections = new List<TestConnection>();
        for (int b = 0; b < BalanceCount; b++)
        {
            TestConnection c = await bitgo.ConnectAsync();
            await bitgo.FundAsync(c, Currency, $"{FundedPerBalance}");
            connections.Add(c);
        }
        long eventsBefore = await fixture.CountEventsAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        int requestCount = BalanceCount * DeallocationsPerBalance;
        Task<Answer>[] sends =
        [
            .. Enumerable
                .Range(0, requestCount)
                .Select(i =>
                {
                    TestConnection c = connections[i % BalanceCount];
                    Guid id = Guid.NewGuid();
                    return Task.Run(async () =>
                    {
                        await gate.Task;
                        return await AsBitGoAsync(() =>
                            bitgo.DeallocateAsync(id, c, Currency, $"{Quantity}")
                        );
                    });
                }),
        ];
        gate.SetResult();
        Answer[] answers = await Task.WhenAll(sends);

        Assert.All(answers, a => a.AssertStatus(HttpStatusCode.OK));
        for (int b = 0; b < BalanceCount; b++)
        {
            string?[] reasons =
            [
                .. answers.Where((_, i) => i % BalanceCount == b).Select(a => a.RejectionReason()),
            ];
            Assert.Equal(ReservedPerBalance, reasons.Count(r => r is null));
            Assert.Equal(
                DeallocationsPerBalance - ReservedPerBalance,
                reasons.Count(r => r == "insufficient funds")
            );
            Assert.Equal(
                BalanceRow.Of(0, FundedPerBalance, 0),
                await fixture.BalanceAsync(connections[b], Currency)
            );
        }
        // Every deallocation is one stream of two events, refused or not; nothing else moved.
        Assert.Equal(eventsBefore + 2 * requestCount, await fixture.CountEventsAsync());
        Assert.Equal(
            BalanceCount * ReservedPerBalance,
            await fixture.ScalarAsync<long>(
                """
                SELECT count(*) FROM ledger.events
                WHERE type = 'deallocation_reserved' AND data->>'connectionId' = ANY($1)
                """,
                (object)connections.Select(c => c.ConnectionId.ToString()).ToArray()
            )
        );
    }

    /// <summary>
    /// Ten tasks, interleaved clear, release, clear, ..., all released by one gate, for ten
    /// holds in turn. One settlement wins: its requests answer 200 with one body, the other
    /// kind's answer the contract's 409 (not retriable), and one transition is appended.
    /// </summary>
    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Racing_clears_and_releases_of_one_id_have_one_winner_and_contract_answers(
        string kindName
    )
    {
        const int RoundCount = 10;
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
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            Task<Answer>[] sends =
            [
                .. settlements.Select(s =>
                    Task.Run(async () =>
                    {
                        await gate.Task;
                        return await AsBitGoAsync(() => bitgo.PutAsync(kind.SettlePath(id, s)));
                    })
                ),
            ];
            gate.SetResult();
            Answer[] answers = await Task.WhenAll(sends);

            Assert.Equal(eventsBefore + 1, await fixture.CountEventsAsync());
            string types = await fixture.StreamEventTypesAsync(id);
            bool cleared = types.EndsWith("_cleared", StringComparison.Ordinal);
            string winner = cleared ? "clear" : "release";
            var won = answers.Where((_, i) => settlements[i] == winner).ToList();
            var lost = answers.Where((_, i) => settlements[i] != winner).ToList();
            Assert.All(won, a => a.AssertStatus(HttpStatusCode.OK));
            Assert.Single(won.Select(a => a.Body).Distinct());
            Assert.All(lost, a => a.AssertProblemNaming(HttpStatusCode.Conflict, kind.IdField));
            Assert.All(
                lost,
                a => Assert.False(a.Json["retriable"]?.GetValue<bool>() ?? false, a.Body)
            );
            Assert.Equal(Expected(kind, cleared), await fixture.BalanceAsync(c, Currency));
        }
    }

    /// <summary>
    /// BitGo's retry: a 503, or a 409 that says "retriable", means the outcome is unknown, so
    /// the same request goes out again. Any other answer is the request's answer.
    /// </summary>
    private static async Task<Answer> AsBitGoAsync(Func<Task<Answer>> send)
    {
        for (int sent = 1; ; sent++)
        {
            Answer answer = await send();
            bool unknown =
                answer.Status == HttpStatusCode.ServiceUnavailable
                || (
                    answer.Status == HttpStatusCode.Conflict
                    && answer.Json["retriable"]?.GetValue<bool>() == true
                );
            if (!unknown || sent == BitGoSendsMax)
            {
                return answer;
            }
            await Task.Delay(BitGoRetryDelayMilliseconds);
        }
    }

    /// <summary>The balance once a hold of 8 settles (a deallocation had 8 funded).</summary>
    private static BalanceRow Expected(HoldKind kind, bool cleared) =>
        (kind == HoldKind.Allocation, cleared) switch
        {
            (true, true) => BalanceRow.Of(8, 0, 0),
            (true, false) => BalanceRow.Zero,
            (false, true) => BalanceRow.Zero,
            (false, false) => BalanceRow.Of(8, 0, 0),
        };
}
