using System.Diagnostics;
using System.Net;
using Ledger.Api.Hosting;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Reliability;

/// <summary>
/// Issue 7, "behaviour of the API under faults", against a database the test controls: while it
/// is down or stalled, requests fail fast with 503 and "retriable": true and readiness says not
/// ready; service resumes within 5 s of its return without a restart; and a write whose commit
/// happened but whose answer was lost answers on retry as the first attempt would have.
/// </summary>
public sealed class DatabaseFaultTests(ProxiedApiFixture fixture) : IClassFixture<ProxiedApiFixture>
{
    private const string Currency = "btc";

    /// <summary>Refused connections and Polly's two short retries: well under a second.</summary>
    private const int DownAnswerMillisecondsMax = 3_000;

    /// <summary>
    /// On a stalled server: the command timeout, then Npgsql's cancel request, which waits the
    /// connect timeout (twice: its SSL probe, then the request).
    /// </summary>
    private const int StallAnswerMillisecondsMax =
        (
            DatabaseResilience.CommandTimeoutSeconds
            + 2 * DatabaseResilience.ConnectTimeoutSeconds
            + 3
        ) * 1_000;

    private const int ResumeMillisecondsMax = 5_000;
    private const int ReadyMarginMilliseconds = 1_000;
    private const int PollMilliseconds = 50;

    [Fact]
    public async Task Write_while_the_database_is_down_is_a_fast_503_retriable_and_appends_nothing()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        long eventsBefore = await fixture.CountEventsAsync();

        (Answer answer, long milliseconds, Guid id) = await AllocateDuringAsync(
            bitgo,
            c,
            fixture.Proxy.Down,
            fixture.Proxy.Up
        );

        AssertRetriable503(answer);
        Assert.True(milliseconds < DownAnswerMillisecondsMax, $"{milliseconds} ms");
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
        Assert.Equal(
            0L,
            await fixture.ScalarAsync<long>("SELECT count(*) FROM ledger.streams WHERE id = $1", id)
        );
    }

    [Fact]
    public async Task Readiness_is_503_while_the_database_is_down_and_200_within_5_s_of_its_return()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        (Answer whileDown, _) = await DuringAsync(
            fixture.Proxy.Down,
            fixture.Proxy.Up,
            () => bitgo.GetAsync("/health/ready")
        );
        var sinceReturn = Stopwatch.StartNew();
        (HttpStatusCode ready, long readyMilliseconds) = await UntilAnsweredAsync(
            bitgo,
            "/health/ready",
            sinceReturn
        );
        Answer write = await bitgo.PostAsync(
            HoldKind.Allocation.OpenPath,
            HoldKind.Allocation.Body(Guid.NewGuid(), c, Currency, "5")
        );

        whileDown.AssertProblem(HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.OK, ready);
        Assert.True(
            readyMilliseconds <= ResumeMillisecondsMax,
            $"ready after {readyMilliseconds} ms"
        );
        write.AssertStatus(HttpStatusCode.OK);
        Assert.True(
            sinceReturn.ElapsedMilliseconds <= ResumeMillisecondsMax,
            $"{sinceReturn.ElapsedMilliseconds} ms"
        );
    }

    [Fact]
    public async Task Write_during_a_stall_is_a_503_retriable_not_a_hang_and_appends_nothing()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        long eventsBefore = await fixture.CountEventsAsync();

        (Answer answer, long milliseconds, _) = await AllocateDuringAsync(
            bitgo,
            c,
            fixture.Proxy.Stall,
            fixture.Proxy.Resume
        );

        AssertRetriable503(answer);
        Assert.True(milliseconds < StallAnswerMillisecondsMax, $"{milliseconds} ms");
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Fact]
    public async Task Readiness_answers_503_within_its_timeout_while_the_database_stalls()
    {
        BitGoClient bitgo = fixture.BitGo();
        // Ready first: the timing below is the stall's, not a cold endpoint's first call.
        (await bitgo.GetAsync("/health/ready")).AssertStatus(HttpStatusCode.OK);

        (Answer answer, long milliseconds) = await DuringAsync(
            fixture.Proxy.Stall,
            fixture.Proxy.Resume,
            () => bitgo.GetAsync("/health/ready")
        );

        answer.AssertProblem(HttpStatusCode.ServiceUnavailable);
        Assert.True(
            milliseconds < Health.ReadyTimeoutMilliseconds + ReadyMarginMilliseconds,
            $"{milliseconds} ms"
        );
    }

    /// <summary>
    /// The query API reads through its own multiplexed connections: a cut one fails the
    /// queries on it, and the next query opens another once the server is back.
    /// </summary>
    [Fact]
    public async Task Balance_query_while_the_database_is_down_is_a_fast_503_retriable_and_answers_again_once_it_returns()
    {
        BitGoClient bitgo = fixture.BitGo();
        string path = await AnsweredBalancePathAsync(bitgo);

        (Answer whileDown, long milliseconds) = await DuringAsync(
            fixture.Proxy.Down,
            fixture.Proxy.Up,
            () => bitgo.GetAsync(path)
        );
        (HttpStatusCode after, long afterMilliseconds) = await UntilAnsweredAsync(
            bitgo,
            path,
            Stopwatch.StartNew()
        );

        AssertRetriable503(whileDown);
        Assert.True(milliseconds < DownAnswerMillisecondsMax, $"{milliseconds} ms");
        Assert.Equal(HttpStatusCode.OK, after);
        Assert.True(afterMilliseconds <= ResumeMillisecondsMax, $"{afterMilliseconds} ms");
    }

    [Fact]
    public async Task Balance_query_during_a_stall_is_a_503_retriable_not_a_hang()
    {
        BitGoClient bitgo = fixture.BitGo();
        string path = await AnsweredBalancePathAsync(bitgo);

        (Answer answer, long milliseconds) = await DuringAsync(
            fixture.Proxy.Stall,
            fixture.Proxy.Resume,
            () => bitgo.GetAsync(path)
        );
        (HttpStatusCode after, _) = await UntilAnsweredAsync(bitgo, path, Stopwatch.StartNew());

        AssertRetriable503(answer);
        Assert.True(milliseconds < StallAnswerMillisecondsMax, $"{milliseconds} ms");
        Assert.Equal(HttpStatusCode.OK, after);
    }

    /// <summary>
    /// The crash came after the commit: the server committed, the answer never reached the API,
    /// which answered 503. BitGo's retry finds the commit and answers it; so does every later one.
    /// </summary>
    [Fact]
    public async Task Retry_after_a_lost_commit_answer_answers_as_the_first_attempt_would_have()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, Currency, "100");
        Guid id = Guid.NewGuid();
        string body = HoldKind.Deallocation.Body(id, c, Currency, "30").ToJsonString();

        fixture.Proxy.OnNextCommit(DatabaseProxy.AfterCommit.LoseAnswers);
        Answer first = await bitgo.PostAsync(HoldKind.Deallocation.OpenPath, body);
        Answer retry = await bitgo.PostAsync(HoldKind.Deallocation.OpenPath, body);
        Answer again = await bitgo.PostAsync(HoldKind.Deallocation.OpenPath, body);

        AssertRetriable503(first);
        retry.AssertStatus(HttpStatusCode.OK);
        Assert.Null(retry.RejectionReason());
        Assert.False(string.IsNullOrEmpty(retry.Text("partnerDeallocationId")), retry.Body);
        Assert.Equal(retry.Body, again.Body);
        Assert.Equal("deallocation_requested,deallocation_reserved", await StreamAsync(id));
        Assert.Equal("70/30/0", await BalanceAsync(c));
    }

    /// <summary>
    /// The connection broke after the commit: a transient error, so the write is tried again
    /// inside the same request. The new attempt reads its own stream and answers as a repeat.
    /// </summary>
    [Fact]
    public async Task Clear_cut_off_after_its_commit_answers_200_once_within_the_request()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, Currency, "100");
        Guid id = Guid.NewGuid();
        (await bitgo.DeallocateAsync(id, c, Currency, "30")).AssertStatus(HttpStatusCode.OK);
        string path = HoldKind.Deallocation.SettlePath(id, "clear");

        fixture.Proxy.OnNextCommit(DatabaseProxy.AfterCommit.Reset);
        Answer first = await bitgo.PutAsync(path);
        Answer retry = await bitgo.PutAsync(path);

        first.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(first.Body, retry.Body);
        Assert.Equal(
            "deallocation_requested,deallocation_reserved,deallocation_cleared",
            await StreamAsync(id)
        );
        Assert.Equal("70/0/0", await BalanceAsync(c));
    }

    /// <summary>
    /// Runs <paramref name="call"/> while <paramref name="fault"/> holds, healing it however the
    /// call ends: the answer, and how long it took.
    /// </summary>
    private static async Task<(Answer Answer, long Milliseconds)> DuringAsync(
        Action fault,
        Action heal,
        Func<Task<Answer>> call
    )
    {
        var elapsed = Stopwatch.StartNew();
        fault();
        try
        {
            Answer answer = await call();
            return (answer, elapsed.ElapsedMilliseconds);
        }
        finally
        {
            heal();
        }
    }

    /// <summary>Opens an allocation during a fault: the answer, how long it took, and its id.</summary>
    private static async Task<(Answer Answer, long Milliseconds, Guid Id)> AllocateDuringAsync(
        BitGoClient bitgo,
        TestConnection c,
        Action fault,
        Action heal
    )
    {
        Guid id = Guid.NewGuid();
        (Answer answer, long milliseconds) = await DuringAsync(
            fault,
            heal,
            () =>
                bitgo.PostAsync(
                    HoldKind.Allocation.OpenPath,
                    HoldKind.Allocation.Body(id, c, Currency, "5")
                )
        );
        return (answer, milliseconds, id);
    }

    /// <summary>A new client's balances, asked for once, so the query API holds a connection.</summary>
    private static async Task<string> AnsweredBalancePathAsync(BitGoClient bitgo)
    {
        TestConnection c = await bitgo.ConnectAsync();
        string path = $"/api/v1/clients/{c.ClientId}/balances";
        (await bitgo.GetAsync(path)).AssertStatus(HttpStatusCode.OK);
        return path;
    }

    private static void AssertRetriable503(Answer answer)
    {
        answer.AssertProblem(HttpStatusCode.ServiceUnavailable);
        Assert.True(answer.Json["retriable"]?.GetValue<bool>(), answer.Body);
    }

    /// <summary>
    /// Asks until the answer is no 503, or the resume limit has long passed: that answer's
    /// status, and the time since <paramref name="since"/> started.
    /// </summary>
    private static async Task<(HttpStatusCode Status, long Milliseconds)> UntilAnsweredAsync(
        BitGoClient bitgo,
        string path,
        Stopwatch since
    )
    {
        HttpStatusCode status;
        while (
            (status = (await bitgo.GetAsync(path)).Status) == HttpStatusCode.ServiceUnavailable
            && since.ElapsedMilliseconds <= 4 * ResumeMillisecondsMax
        )
        {
            await Task.Delay(PollMilliseconds);
        }
        return (status, since.ElapsedMilliseconds);
    }

    private async Task<string?> StreamAsync(Guid id) =>
        await fixture.ScalarAsync<string>(
            """
            SELECT string_agg(type, ',' ORDER BY version) FROM ledger.events WHERE stream_id = $1
            """,
            id
        );

    private async Task<string?> BalanceAsync(TestConnection c) =>
        await fixture.ScalarAsync<string>(
            """
            SELECT available::text || '/' || reserved::text || '/' || pending_credit::text
            FROM ledger.balances WHERE connection_id = $1 AND currency = $2
            """,
            c.ConnectionId,
            Currency
        );
}
