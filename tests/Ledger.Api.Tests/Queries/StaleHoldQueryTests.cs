using System.Net;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Queries;

public sealed class StaleHoldQueryTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    [Fact]
    public async Task Stale_list_has_old_reserved_holds_of_both_kinds_not_cleared_or_recent_ones()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, "btc", "100");
        Guid oldDeallocation = await bitgo.ReserveDeallocationAsync(c, "btc", "10");
        Guid oldAllocation = await bitgo.AllocateAsync(c, "btc", "1");
        Guid oldCleared = await bitgo.ReserveDeallocationAsync(c, "btc", "20");
        await bitgo.ClearAsync("deallocation", oldCleared);
        Guid recent = await bitgo.ReserveDeallocationAsync(c, "btc", "30");
        await AgeAsync("2 hours", oldDeallocation, oldAllocation, oldCleared);

        IReadOnlyList<Guid> stale = (await bitgo.GetAsync("/api/v1/holds/stale"))
            .AssertStatus(HttpStatusCode.OK)
            .Ids();

        Assert.Contains(oldDeallocation, stale);
        Assert.Contains(oldAllocation, stale);
        Assert.DoesNotContain(oldCleared, stale);
        Assert.DoesNotContain(recent, stale);
    }

    [Fact]
    public async Task Stale_list_only_flags_holds_and_never_releases_them()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid allocation = await bitgo.AllocateAsync(c, "btc", "1");
        await AgeAsync("40 days", allocation);
        long before = await fixture.CountEventsAsync();

        Assert.Contains(allocation, (await bitgo.GetAsync("/api/v1/holds/stale")).Ids());

        Assert.Equal(before, await fixture.CountEventsAsync());
        JsonNode row = (await bitgo.GetAsync($"/api/v1/allocations/{allocation}")).Json;
        Assert.Equal("reserved", row["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Stale_list_leaves_out_holds_younger_than_olderThanSeconds()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid allocation = await bitgo.AllocateAsync(c, "btc", "1");
        await AgeAsync("2 hours", allocation);

        Answer below = await bitgo.GetAsync("/api/v1/holds/stale?olderThanSeconds=7000");
        Answer above = await bitgo.GetAsync("/api/v1/holds/stale?olderThanSeconds=7400");

        Assert.Contains(allocation, below.Ids());
        Assert.DoesNotContain(allocation, above.Ids());
    }

    [Fact]
    public async Task Stale_list_pages_oldest_first_through_the_cursor()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid oldest = await bitgo.AllocateAsync(c, "btc", "1");
        Guid older = await bitgo.AllocateAsync(c, "btc", "2");
        // Older than anything the other tests of this class age, so these two lead the list.
        await AgeAsync("400 days", oldest);
        await AgeAsync("399 days", older);

        Answer first = await bitgo.GetAsync("/api/v1/holds/stale?limit=1");
        Answer second = await bitgo.GetAsync($"/api/v1/holds/stale?limit=1&after={first.Next()}");

        Assert.Equal([oldest], first.Ids());
        Assert.Equal(oldest.ToString(), first.Next());
        Assert.Equal([older], second.Ids());
    }

    [Theory]
    [InlineData("olderThanSeconds=0", "olderThanSeconds:")]
    [InlineData("olderThanSeconds=2592001", "olderThanSeconds:")]
    [InlineData("olderThanSeconds=-5", "olderThanSeconds:")]
    [InlineData("olderThanSeconds=1.5", "olderThanSeconds:")]
    [InlineData("limit=501", "limit:")]
    [InlineData("after=nope", "after:")]
    public async Task Malformed_stale_parameter_is_400_naming_it_and_appends_nothing(
        string query,
        string field
    )
    {
        long before = await fixture.CountEventsAsync();

        Answer answer = await fixture.BitGo().GetAsync($"/api/v1/holds/stale?{query}");

        answer.AssertProblem(HttpStatusCode.BadRequest);
        Assert.StartsWith(field, answer.Error);
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Fact]
    public async Task Stale_threshold_of_exactly_30_days_is_accepted()
    {
        (
            await fixture.BitGo().GetAsync("/api/v1/holds/stale?olderThanSeconds=2592000")
        ).AssertStatus(HttpStatusCode.OK);
    }

    /// <summary>Backdates holds in the read model: the test's stand-in for waiting.</summary>
    private async Task AgeAsync(string age, params Guid[] ids)
    {
        await fixture.ScalarAsync<object>(
            "UPDATE ledger.hold_status SET created_at = now() - $1::interval WHERE id = ANY($2)",
            age,
            ids
        );
        Assert.Equal(
            ids.Length,
            await fixture.ScalarAsync<long>(
                "SELECT count(*) FROM ledger.hold_status "
                    + "WHERE id = ANY($1) AND created_at < now() - interval '1 hour'",
                (object)ids
            )
        );
    }
}
