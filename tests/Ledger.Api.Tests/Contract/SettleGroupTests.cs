using System.Net;
using Ledger.Api.Deallocations;
using Ledger.Api.Holds;
using Ledger.Api.Hosting;
using Ledger.Api.Security;
using Ledger.Api.Tests.Support;
using Ledger.Domain.Holds;
using Ledger.EventStore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ledger.Api.Tests.Contract;

/// <summary>
/// Group commit for settlements (ADR 0016) keeps every rule of a single settlement: each gets
/// its own event and answer, a second settlement of one hold or a second use of one jti runs
/// alone and fails no neighbour, and a group whose jti or version check fails writes nothing
/// and sends each settlement to run alone.
/// </summary>
public sealed class SettleGroupTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    private const string Currency = "btc";
    private const int FundedQuantity = 50;
    private const int ConcurrentClearCount = 20;

    [Fact]
    public void Settle_groups_are_on_by_default_so_the_contract_suite_runs_through_them()
    {
        SettleBatcher batcher = fixture.Factory.Services.GetRequiredService<SettleBatcher>();

        Assert.True(batcher.Enabled);
    }

    [Fact]
    public async Task Settlements_in_one_group_commit_in_one_transaction_each_with_its_own_event()
    {
        TestConnection c = await FundedConnectionAsync();
        Guid[] ids =
        [
            await ReserveAsync(c, "10"),
            await ReserveAsync(c, "5"),
            await ReserveAsync(c, "1"),
        ];
        PendingSettle[] clears = [.. await Task.WhenAll(ids.Select(id => ClearAsync(id)))];

        await RunGroupAsync(clears);

        Assert.All(clears, s => Assert.Equal(SettleOutcome.Committed, Outcome(s)));
        Assert.Equal(
            BalanceRow.Of(FundedQuantity - 16, 0, 0),
            await fixture.BalanceAsync(c, Currency)
        );
        Assert.Equal(1L, await CommitsOfClearsAsync(ids));
        foreach (Guid id in ids)
        {
            Assert.Equal(
                3L,
                await fixture.ScalarAsync<long>(
                    "SELECT count(*) FROM ledger.events WHERE stream_id = $1",
                    id
                )
            );
        }
    }

    [Fact]
    public async Task A_second_settlement_of_one_hold_in_a_group_runs_alone_and_fails_no_neighbour()
    {
        TestConnection c = await FundedConnectionAsync();
        Guid id = await ReserveAsync(c, "10");
        Guid neighbourId = await ReserveAsync(c, "5");
        PendingSettle first = await ClearAsync(id);
        PendingSettle second = await ClearAsync(id);
        PendingSettle neighbour = await ClearAsync(neighbourId);

        await RunGroupAsync(first, second, neighbour);

        Assert.Equal(SettleOutcome.Committed, Outcome(first));
        Assert.Equal(SettleOutcome.RetryAlone, Outcome(second));
        Assert.Equal(SettleOutcome.Committed, Outcome(neighbour));
        Assert.Equal(
            BalanceRow.Of(FundedQuantity - 15, 0, 0),
            await fixture.BalanceAsync(c, Currency)
        );
    }

    [Fact]
    public async Task A_jti_twice_in_one_group_runs_alone_and_fails_no_neighbour()
    {
        TestConnection c = await FundedConnectionAsync();
        string jti = Guid.NewGuid().ToString();
        PendingSettle first = await ClearAsync(await ReserveAsync(c, "10"), NewJti(jti));
        PendingSettle replay = await ClearAsync(await ReserveAsync(c, "5"), NewJti(jti));

        await RunGroupAsync(first, replay);

        Assert.Equal(SettleOutcome.Committed, Outcome(first));
        Assert.Equal(SettleOutcome.RetryAlone, Outcome(replay));
        Assert.Equal(
            BalanceRow.Of(FundedQuantity - 15, 5, 0),
            await fixture.BalanceAsync(c, Currency)
        );
    }

    [Fact]
    public async Task A_jti_recorded_before_fails_the_group_which_appends_nothing_and_sends_each_to_run_alone()
    {
        TestConnection c = await FundedConnectionAsync();
        string jti = Guid.NewGuid().ToString();
        await RunGroupAsync(await ClearAsync(await ReserveAsync(c, "10"), NewJti(jti)));
        PendingSettle replay = await ClearAsync(await ReserveAsync(c, "5"), NewJti(jti));
        PendingSettle neighbour = await ClearAsync(await ReserveAsync(c, "1"), NewJti());
        long eventsBefore = await fixture.CountEventsAsync();

        await RunGroupAsync(replay, neighbour);

        Assert.Equal(SettleOutcome.RetryAlone, Outcome(replay));
        Assert.Equal(SettleOutcome.RetryAlone, Outcome(neighbour));
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(
            0L,
            await fixture.ScalarAsync<long>(
                "SELECT count(*) FROM ledger.seen_jtis WHERE jti = $1",
                neighbour.Command.Jti!.Jti
            )
        );
        Assert.Equal(
            BalanceRow.Of(FundedQuantity - 16, 6, 0),
            await fixture.BalanceAsync(c, Currency)
        );
    }

    [Fact]
    public async Task A_hold_settled_since_it_was_read_fails_the_group_which_appends_nothing()
    {
        TestConnection c = await FundedConnectionAsync();
        Guid id = await ReserveAsync(c, "10");
        PendingSettle stale = await ClearAsync(id);
        PendingSettle neighbour = await ClearAsync(await ReserveAsync(c, "5"));
        (await fixture.BitGo().PutAsync($"/bitgo/v1/deallocation/{id}/release")).AssertStatus(
            HttpStatusCode.OK
        );
        long eventsBefore = await fixture.CountEventsAsync();

        await RunGroupAsync(stale, neighbour);

        Assert.Equal(SettleOutcome.RetryAlone, Outcome(stale));
        Assert.Equal(SettleOutcome.RetryAlone, Outcome(neighbour));
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(
            BalanceRow.Of(FundedQuantity - 5, 5, 0),
            await fixture.BalanceAsync(c, Currency)
        );
    }

    [Fact]
    public async Task Concurrent_clears_are_each_answered_and_share_commits()
    {
        TestConnection c = await FundedConnectionAsync();
        Guid[] ids =
        [
            .. await Task.WhenAll(
                Enumerable.Range(0, ConcurrentClearCount).Select(_ => ReserveAsync(c, "1"))
            ),
        ];
        BitGoClient bitgo = fixture.BitGo();

        Answer[] answers = await Task.WhenAll(
            ids.Select(id => bitgo.PutAsync($"/bitgo/v1/deallocation/{id}/clear"))
        );

        Assert.All(answers, a => a.AssertStatus(HttpStatusCode.OK));
        Assert.Equal(
            BalanceRow.Of(FundedQuantity - ConcurrentClearCount, 0, 0),
            await fixture.BalanceAsync(c, Currency)
        );
        Assert.InRange(await CommitsOfClearsAsync(ids), 1L, ConcurrentClearCount - 1);
    }

    /// <summary>The transactions that wrote these holds' clears (each hold's third event).</summary>
    private Task<long> CommitsOfClearsAsync(Guid[] ids) =>
        fixture.ScalarAsync<long>(
            "SELECT count(DISTINCT xmin::text) FROM ledger.events WHERE stream_id = ANY($1) AND version = 3",
            ids
        );

    private async Task<TestConnection> FundedConnectionAsync()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, Currency, $"{FundedQuantity}");
        return c;
    }

    private async Task<Guid> ReserveAsync(TestConnection c, string quantity)
    {
        Guid id = Guid.NewGuid();
        (await fixture.BitGo().DeallocateAsync(id, c, Currency, quantity)).AssertStatus(
            HttpStatusCode.OK
        );
        return id;
    }

    /// <summary>A clear of the hold decided on the hold as stored now, as its handler decides it.</summary>
    private async Task<PendingSettle> ClearAsync(Guid id, PendingJti? jti = null)
    {
        LedgerServices services = fixture.Factory.Services.GetRequiredService<LedgerServices>();
        EventStream stream = (await services.Store.FetchStreamAsync(id))!;
        Hold hold = Hold.Fold(stream.Data)!;
        var append = Assert.IsType<SettleDecision.Append>(DeallocationsApi.Flow.Clear(hold));
        return new PendingSettle(
            new SettleCommand(
                id,
                DeallocationsApi.StreamType,
                hold.Version,
                append.Event,
                hold.Request.BalanceKey,
                new EventMetadata("bitgo", "settle-group-test", null, null),
                jti
            )
        );
    }

    /// <summary>Runs the settlements as one group, exactly as the batcher would.</summary>
    private Task RunGroupAsync(params PendingSettle[] settlements) =>
        SettleBatcher.RunGroupAsync(
            settlements,
            fixture.Factory.Services.GetRequiredService<LedgerServices>().Store,
            NullLogger.Instance,
            CancellationToken.None
        );

    private static PendingJti NewJti(string? jti = null) =>
        new(jti ?? Guid.NewGuid().ToString(), DateTimeOffset.UtcNow.AddMinutes(1));

    private static SettleOutcome Outcome(PendingSettle settlement)
    {
        Assert.True(settlement.Completion.Task.IsCompletedSuccessfully);
        return settlement.Completion.Task.Result;
    }
}
