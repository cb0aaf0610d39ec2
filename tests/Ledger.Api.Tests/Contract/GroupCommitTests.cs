using System.Net;
using System.Text.Json.Nodes;
using Ledger.Api.Deallocations;
using Ledger.Api.Holds;
using Ledger.Api.Hosting;
using Ledger.Api.Security;
using Ledger.Api.Tests.Support;
using Ledger.Domain;
using Ledger.Domain.Balances;
using Ledger.Domain.Connections;
using Ledger.Domain.Deallocations;
using Ledger.Domain.Holds;
using Ledger.EventStore;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OpenDecision = System.Func<
    Ledger.Domain.Holds.HoldRequest,
    Ledger.Domain.Connections.Connection?,
    Ledger.Domain.CurrencyCatalog,
    Ledger.Domain.Quantity,
    string,
    System.Collections.Generic.IReadOnlyList<object>
>;

namespace Ledger.Api.Tests.Contract;

/// <summary>
/// Group commit (ADR 0010) keeps every rule of a single append: each open gets its own answer,
/// a duplicate or a refusal inside a group does not fail its neighbours, a group that fails
/// as a whole sends each open to the single path, and two nodes on one database, with group
/// commit or without, stay exact. The rest of the contract suite runs with group commit on, its
/// default; these tests also run the key concurrency rules on the single path.
/// </summary>
public sealed class GroupCommitTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    private const string Currency = "btc";
    private const int RacingRequestCount = 200;
    private const int FundedQuantity = 50;
    private const int NodePoolSize = 20;
    private const int PoolWaitSecondsMax = 30;

    [Fact]
    public void Group_commit_is_on_by_default_so_the_contract_suite_runs_through_it()
    {
        OpenBatcher batcher = fixture.Factory.Services.GetRequiredService<OpenBatcher>();

        Assert.True(batcher.Enabled);
    }

    [Fact]
    public async Task Reservations_in_one_group_see_each_other_so_the_later_is_refused_for_funds()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        long eventsBefore = await fixture.CountEventsAsync();
        PendingOpen first = Open(Guid.NewGuid(), c, "30");
        PendingOpen second = Open(Guid.NewGuid(), c, "30");

        await RunGroupAsync(first, second);

        Assert.Null(Hold.Fold(Committed(first))!.RejectionReason);
        Assert.Equal(
            RejectionReasons.InsufficientFunds,
            Hold.Fold(Committed(second))!.RejectionReason
        );
        Assert.Equal(eventsBefore + 4, await fixture.CountEventsAsync());
        Assert.Equal(BalanceRow.Of(20, 30, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task A_duplicate_inside_a_group_is_answered_from_the_stored_stream_and_fails_no_neighbour()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        long eventsBefore = await fixture.CountEventsAsync();
        Guid id = Guid.NewGuid();
        PendingOpen original = Open(id, c, "10");
        PendingOpen duplicate = Open(id, c, "10");
        PendingOpen neighbour = Open(Guid.NewGuid(), c, "15");

        await RunGroupAsync(original, duplicate, neighbour);

        Assert.Null(Hold.Fold(Committed(original))!.RejectionReason);
        Assert.IsType<OpenOutcome.Exists>(await duplicate.Completion.Task);
        Assert.Null(Hold.Fold(Committed(neighbour))!.RejectionReason);
        Assert.Equal(
            "deallocation_requested,deallocation_reserved",
            await fixture.StreamEventTypesAsync(id)
        );
        Assert.Equal(eventsBefore + 4, await fixture.CountEventsAsync());
        Assert.Equal(BalanceRow.Of(25, 25, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task A_refusal_inside_a_group_is_its_own_answer_and_fails_no_neighbour()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        long eventsBefore = await fixture.CountEventsAsync();
        TestConnection unknown = c with { ConnectionId = Guid.NewGuid() };
        PendingOpen refused = Open(Guid.NewGuid(), unknown, "10");
        PendingOpen neighbour = Open(Guid.NewGuid(), c, "10");

        await RunGroupAsync(refused, neighbour);

        Assert.Equal(
            RejectionReasons.UnknownConnection,
            Hold.Fold(Committed(refused))!.RejectionReason
        );
        Assert.Null(Hold.Fold(Committed(neighbour))!.RejectionReason);
        Assert.Equal(eventsBefore + 4, await fixture.CountEventsAsync());
        Assert.Equal(BalanceRow.Of(40, 10, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task A_connection_deactivated_after_a_group_read_it_is_refused_by_the_next_group()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        PendingOpen before = Open(Guid.NewGuid(), c, "10");
        await RunGroupAsync(before);
        (
            await fixture
                .BitGo()
                .PostAsync(
                    $"/api/v1/connections/{c.ConnectionId}/deactivate",
                    new JsonObject { ["reason"] = "client closed the account" }
                )
        ).AssertStatus(HttpStatusCode.OK);
        PendingOpen after = Open(Guid.NewGuid(), c, "10");

        await RunGroupAsync(after);

        Assert.Null(Hold.Fold(Committed(before))!.RejectionReason);
        Assert.Equal(
            RejectionReasons.InactiveConnection,
            Hold.Fold(Committed(after))!.RejectionReason
        );
        Assert.Equal(BalanceRow.Of(40, 10, 0), await fixture.BalanceAsync(c, Currency));
        ConnectionCache cache = fixture
            .Factory.Services.GetRequiredService<LedgerServices>()
            .ConnectionCache;
        Assert.False(cache.Find(c.ConnectionId)!.IsActive);
    }

    /// <summary>
    /// A group of new opens decides on the funds this node's groups last left, and checks them
    /// under the row lock in its one round trip: funds another writer added since are found,
    /// and the open is decided again on them, not refused on the old figure.
    /// </summary>
    [Fact]
    public async Task A_group_that_decided_on_funds_another_node_added_to_decides_again_on_the_stored_funds()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        await RunGroupAsync(Open(Guid.NewGuid(), c, "30"));
        await using WebApplicationFactory<Program> other = Node(groupCommit: false);
        await new BitGoClient(other.CreateClient()).FundAsync(c, Currency, "30");
        PendingOpen open = Open(Guid.NewGuid(), c, "40");

        await RunGroupAsync(open);

        Assert.Null(Hold.Fold(Committed(open))!.RejectionReason);
        Assert.Equal(BalanceRow.Of(10, 70, 0), await fixture.BalanceAsync(c, Currency));
    }

    /// <summary>
    /// A settlement on this node moves the funds this node's groups decide on, so the next
    /// group does not spend a round trip on an assumption the settlement made stale.
    /// </summary>
    [Fact]
    public async Task A_clear_on_this_node_moves_the_funds_its_next_group_decides_on()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        await RunGroupAsync(Open(Guid.NewGuid(), c, "30"));
        GroupCache cache = fixture.Factory.Services.GetRequiredService<LedgerServices>().GroupCache;
        var key = new BalanceKey(c.ClientId, c.ConnectionId, Domain.Currency.Parse(Currency));
        Assert.Equal(Quantity.From(20), cache.Available(key));

        await fixture.BitGo().FundAsync(c, Currency, "30");

        Assert.Equal(Quantity.From(50), cache.Available(key));
    }

    [Fact]
    public async Task A_group_that_decided_on_funds_another_node_spent_decides_again_on_the_stored_funds()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        await RunGroupAsync(Open(Guid.NewGuid(), c, "10"));
        await using WebApplicationFactory<Program> other = Node(groupCommit: false);
        (
            await new BitGoClient(other.CreateClient()).DeallocateAsync(
                Guid.NewGuid(),
                c,
                Currency,
                "30"
            )
        ).AssertStatus(HttpStatusCode.OK);
        PendingOpen open = Open(Guid.NewGuid(), c, "20");

        await RunGroupAsync(open);

        Assert.Equal(
            RejectionReasons.InsufficientFunds,
            Hold.Fold(Committed(open))!.RejectionReason
        );
        Assert.Equal(BalanceRow.Of(10, 40, 0), await fixture.BalanceAsync(c, Currency));
    }

    /// <summary>
    /// A group of new opens claims its streams in its commit's round trip, assuming each id is
    /// new: an id another node started is found there, and answered as the duplicate it is.
    /// </summary>
    [Fact]
    public async Task An_id_a_stream_holds_is_a_duplicate_even_when_this_node_never_saw_it()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        await RunGroupAsync(Open(Guid.NewGuid(), c, "10"));
        await using WebApplicationFactory<Program> other = Node(groupCommit: false);
        Guid id = Guid.NewGuid();
        // Refused for funds on the other node, so the balance row is as this node left it.
        (
            await new BitGoClient(other.CreateClient()).DeallocateAsync(id, c, Currency, "100")
        ).AssertStatus(HttpStatusCode.OK);
        long eventsBefore = await fixture.CountEventsAsync();
        PendingOpen duplicate = Open(id, c, "100");

        await RunGroupAsync(duplicate);

        Assert.IsType<OpenOutcome.Exists>(await duplicate.Completion.Task);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(BalanceRow.Of(40, 10, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task A_group_that_fails_as_a_whole_sends_each_open_to_the_single_path_and_appends_nothing()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        long eventsBefore = await fixture.CountEventsAsync();
        PendingOpen healthy = Open(Guid.NewGuid(), c, "10");
        PendingOpen faulty = Open(
            Guid.NewGuid(),
            c,
            "10",
            (_, _, _, _, _) => throw new InvariantViolationException("a bug in one open's decision")
        );

        await RunGroupAsync(healthy, faulty);

        Assert.IsType<OpenOutcome.RetryAlone>(await healthy.Completion.Task);
        Assert.IsType<OpenOutcome.RetryAlone>(await faulty.Completion.Task);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(
            0L,
            await fixture.ScalarAsync<long>(
                "SELECT count(*) FROM ledger.streams WHERE id = ANY($1)",
                new[] { healthy.Command.Request.Id, faulty.Command.Request.Id }
            )
        );
        Assert.Equal(BalanceRow.Of(FundedQuantity, 0, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task A_jti_twice_in_one_group_is_a_replay_and_fails_no_neighbour()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        long eventsBefore = await fixture.CountEventsAsync();
        string jti = Guid.NewGuid().ToString();
        PendingOpen first = Open(Guid.NewGuid(), c, "10", jti: NewJti(jti));
        PendingOpen replay = Open(Guid.NewGuid(), c, "10", jti: NewJti(jti));
        PendingOpen neighbour = Open(Guid.NewGuid(), c, "10", jti: NewJti());

        await RunGroupAsync(first, replay, neighbour);

        Assert.Null(Hold.Fold(Committed(first))!.RejectionReason);
        Assert.IsType<OpenOutcome.Replayed>(await replay.Completion.Task);
        Assert.Null(Hold.Fold(Committed(neighbour))!.RejectionReason);
        Assert.True(first.Command.Jti!.Recorded);
        Assert.False(replay.Command.Jti!.Recorded);
        Assert.Equal(eventsBefore + 4, await fixture.CountEventsAsync());
        Assert.Equal(BalanceRow.Of(30, 20, 0), await fixture.BalanceAsync(c, Currency));
    }

    [Fact]
    public async Task A_jti_recorded_by_an_earlier_group_is_a_replay_and_appends_nothing()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        Guid id = Guid.NewGuid();
        string jti = Guid.NewGuid().ToString();
        await RunGroupAsync(Open(id, c, "10", jti: NewJti(jti)));
        long eventsBefore = await fixture.CountEventsAsync();
        PendingOpen replay = Open(id, c, "10", jti: NewJti(jti));

        await RunGroupAsync(replay);

        Assert.IsType<OpenOutcome.Replayed>(await replay.Completion.Task);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(BalanceRow.Of(40, 10, 0), await fixture.BalanceAsync(c, Currency));
    }

    /// <summary>
    /// A recorded jti on an id no stream holds (its first use wrote nothing there): the group
    /// does not start a stream for a replayed token, it sends every open to the single path,
    /// which refuses the replay on its own.
    /// </summary>
    [Fact]
    public async Task A_replayed_jti_that_wins_a_claim_sends_the_group_to_the_single_path_and_appends_nothing()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        string jti = Guid.NewGuid().ToString();
        await RunGroupAsync(Open(Guid.NewGuid(), c, "10", jti: NewJti(jti)));
        long eventsBefore = await fixture.CountEventsAsync();
        PendingOpen replay = Open(Guid.NewGuid(), c, "10", jti: NewJti(jti));
        PendingOpen neighbour = Open(Guid.NewGuid(), c, "10", jti: NewJti());

        await RunGroupAsync(replay, neighbour);

        Assert.IsType<OpenOutcome.RetryAlone>(await replay.Completion.Task);
        Assert.IsType<OpenOutcome.RetryAlone>(await neighbour.Completion.Task);
        Assert.False(neighbour.Command.Jti!.Recorded);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    /// <summary>
    /// A commit whose outcome the API never learnt is retried within the same request: the jti
    /// is then its own (the request id recorded with it), so the retry is answered from the
    /// stored stream, not refused as a replay.
    /// </summary>
    [Fact]
    public async Task A_retry_of_the_same_request_after_its_group_committed_is_answered_from_the_stream()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        Guid id = Guid.NewGuid();
        PendingJti jti = NewJti();
        await RunGroupAsync(Open(id, c, "10", jti: jti));
        long eventsBefore = await fixture.CountEventsAsync();
        PendingOpen retry = Open(id, c, "10", jti: jti);

        await RunGroupAsync(retry);

        Assert.IsType<OpenOutcome.Exists>(await retry.Completion.Task);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Fact]
    public async Task A_group_of_only_duplicates_still_commits_their_jtis()
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        Guid id = Guid.NewGuid();
        await RunGroupAsync(Open(id, c, "10", jti: NewJti()));
        PendingOpen duplicate = Open(id, c, "10", jti: NewJti());

        await RunGroupAsync(duplicate);

        Assert.IsType<OpenOutcome.Exists>(await duplicate.Completion.Task);
        Assert.True(duplicate.Command.Jti!.Recorded);
        Assert.Equal(
            1L,
            await fixture.ScalarAsync<long>(
                "SELECT count(*) FROM ledger.seen_jtis WHERE jti = $1",
                duplicate.Command.Jti.Jti
            )
        );
    }

    [Fact]
    public async Task Two_nodes_with_group_commit_reserve_exactly_the_funds_available()
    {
        await using WebApplicationFactory<Program> second = Node(groupCommit: true);

        await AssertRacingDeallocationsReserveExactlyAsync(
            fixture.BitGo(),
            new BitGoClient(second.CreateClient())
        );
    }

    /// <summary>Several loops of one node commit groups side by side, as two nodes would.</summary>
    [Fact]
    public async Task A_node_with_several_group_loops_reserves_exactly_the_funds_available()
    {
        await using WebApplicationFactory<Program> node = Node(groupCommit: true, loops: 3);
        Assert.Equal(3, node.Services.GetRequiredService<OpenBatcher>().LoopCount);

        await AssertRacingDeallocationsReserveExactlyAsync(
            new BitGoClient(node.CreateClient()),
            new BitGoClient(node.CreateClient())
        );
    }

    [Fact]
    public async Task Two_nodes_without_group_commit_reserve_exactly_the_funds_available()
    {
        await using WebApplicationFactory<Program> first = Node(groupCommit: false);
        await using WebApplicationFactory<Program> second = Node(groupCommit: false);

        await AssertRacingDeallocationsReserveExactlyAsync(
            new BitGoClient(first.CreateClient()),
            new BitGoClient(second.CreateClient())
        );
    }

    /// <summary>
    /// The single path locks the balance row before it claims the stream, a group claims
    /// first: a duplicate racing across the two may deadlock, and PostgreSQL's detector then
    /// aborts one side, which runs again; every answer is still the one stored answer.
    /// </summary>
    [Fact]
    public async Task Identical_posts_across_a_grouping_node_and_a_single_path_node_make_one_stream()
    {
        const int RequestCount = 20;
        await using WebApplicationFactory<Program> single = Node(groupCommit: false);
        BitGoClient[] nodes = [fixture.BitGo(), new BitGoClient(single.CreateClient())];
        TestConnection c = await FundedConnectionAsync(100);
        long eventsBefore = await fixture.CountEventsAsync();
        Guid id = Guid.NewGuid();

        Answer[] answers = await Task.WhenAll(
            Enumerable
                .Range(0, RequestCount)
                .Select(i => Task.Run(() => nodes[i % 2].DeallocateAsync(id, c, Currency, "30")))
        );

        Assert.All(answers, a => a.AssertStatus(HttpStatusCode.OK));
        Assert.Single(answers.Select(a => a.Body).Distinct());
        Assert.Null(answers[0].RejectionReason());
        Assert.Equal(eventsBefore + 2, await fixture.CountEventsAsync());
        Assert.Equal(BalanceRow.Of(70, 30, 0), await fixture.BalanceAsync(c, Currency));
    }

    /// <summary>200 deallocations of 1 against 50, split over two nodes: 50 reserved, 150 refused.</summary>
    private async Task AssertRacingDeallocationsReserveExactlyAsync(
        BitGoClient one,
        BitGoClient other
    )
    {
        TestConnection c = await FundedConnectionAsync(FundedQuantity);
        long eventsBefore = await fixture.CountEventsAsync();
        BitGoClient[] nodes = [one, other];

        Answer[] answers = await Task.WhenAll(
            Enumerable
                .Range(0, RacingRequestCount)
                .Select(i =>
                    Task.Run(() => nodes[i % 2].DeallocateAsync(Guid.NewGuid(), c, Currency, "1"))
                )
        );

        Assert.All(answers, a => a.AssertStatus(HttpStatusCode.OK));
        Assert.Equal(FundedQuantity, answers.Count(a => a.RejectionReason() is null));
        Assert.Equal(
            RacingRequestCount - FundedQuantity,
            answers.Count(a => a.RejectionReason() == RejectionReasons.InsufficientFunds)
        );
        Assert.Equal(BalanceRow.Of(0, FundedQuantity, 0), await fixture.BalanceAsync(c, Currency));
        Assert.Equal(eventsBefore + (2 * RacingRequestCount), await fixture.CountEventsAsync());
    }

    /// <summary>
    /// Another API node on the fixture's database, with group commit on or off, and the
    /// shipped number of loops unless <paramref name="loops"/> says otherwise. Its pool is
    /// small: on the single path every waiting open holds a connection, and the test classes
    /// share one PostgreSQL whose connections must not run out for the others. So an open may
    /// wait for a pooled connection longer than the service's 3 s; these tests are about
    /// exactness, not latency, on a machine that runs other suites at the same time.
    /// </summary>
    private WebApplicationFactory<Program> Node(bool groupCommit, int? loops = null) =>
        fixture.Factory.WithWebHostBuilder(web =>
        {
            web.UseSetting("Ledger:GroupCommit", groupCommit ? "true" : "false");
            if (loops is { } count)
            {
                web.UseSetting("Ledger:GroupCommitLoops", $"{count}");
            }
            web.UseSetting(
                "ConnectionStrings:Ledger",
                $"{fixture.ConnectionString};Maximum Pool Size={NodePoolSize};Timeout={PoolWaitSecondsMax}"
            );
        });

    private async Task<TestConnection> FundedConnectionAsync(int quantity)
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, Currency, $"{quantity}");
        return c;
    }

    /// <summary>Runs the opens as one group, exactly as the batcher would.</summary>
    private Task RunGroupAsync(params PendingOpen[] opens) =>
        OpenGroup.RunAsync(
            opens,
            fixture.Factory.Services.GetRequiredService<LedgerServices>(),
            NullLogger.Instance,
            CancellationToken.None
        );

    private static PendingOpen Open(
        Guid id,
        TestConnection c,
        string quantity,
        OpenDecision? decide = null,
        PendingJti? jti = null
    )
    {
        var request = new HoldRequest(
            id,
            c.ClientId,
            c.ConnectionId,
            c.PartnersConnectionId,
            c.PartnerClientId,
            new Amount(Domain.Currency.Parse(Currency), Quantity.Parse(quantity))
        );
        return new PendingOpen(
            new OpenCommand(
                DeallocationsApi.StreamType,
                DeallocationDecisions.StandsFor,
                decide ?? DeallocationsApi.Flow.Request,
                request,
                new EventMetadata("bitgo", "group-commit-test", null, null),
                jti
            )
        );
    }

    private static PendingJti NewJti(string? jti = null) =>
        new(jti ?? Guid.NewGuid().ToString(), DateTimeOffset.UtcNow.AddMinutes(1));

    private static IReadOnlyList<object> Committed(PendingOpen open)
    {
        Assert.True(open.Completion.Task.IsCompletedSuccessfully);
        return Assert.IsType<OpenOutcome.Committed>(open.Completion.Task.Result).Events;
    }
}
