using System.Net;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Queries;

public sealed class HoldListQueryTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    [Fact]
    public async Task Seven_holds_in_pages_of_three_come_as_3_3_1_with_none_missing_or_repeated()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        var created = new List<Guid>();
        for (int i = 0; i < 7; i++)
        {
            created.Add(await bitgo.AllocateAsync(c, "btc", $"{i + 1}"));
        }
        var pages = new List<IReadOnlyList<Guid>>();
        string? next = null;
        for (int page = 0; page < 4; page++) // bounded: one more than needed
        {
            string cursor = next is null ? "" : $"&after={next}";
            Answer answer = (
                await bitgo.GetAsync($"/api/v1/allocations?clientId={c.ClientId}&limit=3{cursor}")
            ).AssertStatus(HttpStatusCode.OK);
            pages.Add(answer.Ids());
            next = answer.Next();
            if (next is null)
            {
                break;
            }
        }

        Assert.Equal([3, 3, 1], pages.Select(p => p.Count));
        List<Guid> all = pages.SelectMany(p => p).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(created, all); // oldest first, every one once
        Assert.Equal(
            pages[0][^1].ToString(),
            (await bitgo.GetAsync($"/api/v1/allocations?clientId={c.ClientId}&limit=3")).Next()
        );
    }

    [Fact]
    public async Task Page_that_ends_exactly_at_the_last_hold_has_next_null()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.AllocateAsync(c, "btc", "1");
        await bitgo.AllocateAsync(c, "btc", "2");

        Answer answer = await bitgo.GetAsync($"/api/v1/allocations?clientId={c.ClientId}&limit=2");

        Assert.Equal(2, answer.Ids().Count);
        Assert.Null(answer.Next());
    }

    [Fact]
    public async Task Status_filter_lists_only_holds_in_that_ledger_status()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, "btc", "100");
        Guid cleared = await bitgo.ReserveDeallocationAsync(c, "btc", "10");
        await bitgo.ClearAsync("deallocation", cleared);
        Guid reserved = await bitgo.ReserveDeallocationAsync(c, "btc", "20");
        Guid rejected = Guid.NewGuid();
        (await bitgo.DeallocateAsync(rejected, c, "btc", "1000")).AssertStatus(HttpStatusCode.OK);

        string list = $"/api/v1/deallocations?clientId={c.ClientId}&status=";
        Assert.Equal([cleared], (await bitgo.GetAsync(list + "cleared")).Ids());
        Assert.Equal([reserved], (await bitgo.GetAsync(list + "reserved")).Ids());
        Assert.Equal([rejected], (await bitgo.GetAsync(list + "rejected")).Ids());
        Assert.Empty((await bitgo.GetAsync(list + "released")).Ids());
    }

    [Fact]
    public async Task Currency_filter_lists_only_holds_in_that_currency()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid btc = await bitgo.AllocateAsync(c, "btc", "1");
        Guid usdc = await bitgo.AllocateAsync(c, "eth:usdc", "2");

        string list = $"/api/v1/allocations?clientId={c.ClientId}&currency=";
        Assert.Equal([usdc], (await bitgo.GetAsync(list + "eth:usdc")).Ids());
        Assert.Equal([btc], (await bitgo.GetAsync(list + "btc")).Ids());
    }

    [Fact]
    public async Task Connection_filter_lists_only_holds_on_that_connection()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection first = await bitgo.ConnectAsync();
        TestConnection second = await bitgo.ConnectAsync(first.ClientId);
        Guid onFirst = await bitgo.AllocateAsync(first, "btc", "1");
        Guid onSecond = await bitgo.AllocateAsync(second, "btc", "1");

        const string list = "/api/v1/allocations?";
        Answer bySecond = await bitgo.GetAsync($"{list}connectionId={second.ConnectionId}");
        Answer byFirst = await bitgo.GetAsync($"{list}connectionId={first.ConnectionId}");
        Answer byClient = await bitgo.GetAsync($"{list}clientId={first.ClientId}");

        Assert.Equal([onSecond], bySecond.Ids());
        Assert.Equal([onFirst], byFirst.Ids());
        Assert.Equal([onFirst, onSecond], byClient.Ids());
    }

    [Fact]
    public async Task Allocation_list_holds_no_deallocations_and_deallocation_list_no_allocations()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, "btc", "5");
        Guid deallocation = await bitgo.ReserveDeallocationAsync(c, "btc", "5");
        Guid allocation = await bitgo.AllocateAsync(c, "btc", "1");

        IReadOnlyList<Guid> deallocations = (
            await bitgo.GetAsync($"/api/v1/deallocations?clientId={c.ClientId}")
        ).Ids();
        IReadOnlyList<Guid> allocations = (
            await bitgo.GetAsync($"/api/v1/allocations?clientId={c.ClientId}")
        ).Ids();

        Assert.Equal([deallocation], deallocations);
        Assert.DoesNotContain(deallocation, allocations);
        Assert.Contains(allocation, allocations);
    }

    [Theory]
    [InlineData("limit=501", "limit:")]
    [InlineData("limit=0", "limit:")]
    [InlineData("limit=-1", "limit:")]
    [InlineData("limit=ten", "limit:")]
    [InlineData("status=requested", "status:")]
    [InlineData("status=Reserved", "status:")]
    [InlineData("currency=BTC", "currency:")]
    [InlineData("clientId=nope", "clientId:")]
    [InlineData("connectionId=nope", "connectionId:")]
    [InlineData("after=nope", "after:")]
    public async Task Malformed_list_parameter_is_400_naming_it_and_appends_nothing(
        string query,
        string field
    )
    {
        long before = await fixture.CountEventsAsync();

        Answer answer = await fixture.BitGo().GetAsync($"/api/v1/deallocations?{query}");

        answer.AssertProblem(HttpStatusCode.BadRequest);
        Assert.StartsWith(field, answer.Error);
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Fact]
    public async Task Limit_of_exactly_the_maximum_500_is_accepted()
    {
        (await fixture.BitGo().GetAsync("/api/v1/allocations?limit=500")).AssertStatus(
            HttpStatusCode.OK
        );
    }

    [Fact]
    public async Task Cursor_naming_no_hold_of_the_kind_is_400_and_appends_nothing()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid allocation = await bitgo.AllocateAsync(c, "btc", "1");
        long before = await fixture.CountEventsAsync();

        Answer unknown = await bitgo.GetAsync($"/api/v1/deallocations?after={Guid.NewGuid()}");
        Answer otherKind = await bitgo.GetAsync($"/api/v1/deallocations?after={allocation}");

        unknown.AssertProblem(HttpStatusCode.BadRequest);
        otherKind.AssertProblem(HttpStatusCode.BadRequest);
        Assert.StartsWith("after:", otherKind.Error);
        Assert.Equal(before, await fixture.CountEventsAsync());
    }
}
