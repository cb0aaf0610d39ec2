using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Queries;

public sealed class HoldStatusQueryTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    [Fact]
    public async Task Deallocation_status_shows_the_read_model_row_with_ledger_and_bitgo_words()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, "btc", "700");
        Guid id = Guid.NewGuid();
        JsonNode answer = (await bitgo.DeallocateAsync(id, c, "btc", "200")).Json;

        JsonNode row = (await bitgo.GetAsync($"/api/v1/deallocations/{id}"))
            .AssertStatus(HttpStatusCode.OK)
            .Json;

        Assert.Equal(id.ToString(), row["id"]!.GetValue<string>());
        Assert.Equal("deallocation", row["kind"]!.GetValue<string>());
        Assert.Equal(c.ClientId.ToString(), row["clientId"]!.GetValue<string>());
        Assert.Equal(c.ConnectionId.ToString(), row["connectionId"]!.GetValue<string>());
        Assert.Equal(c.PartnersConnectionId, row["partnersConnectionId"]!.GetValue<string>());
        Assert.Equal(c.PartnerClientId, row["partnerClientId"]!.GetValue<string>());
        Assert.Equal("btc", row["amount"]!["currency"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.String, row["amount"]!["quantity"].Kind());
        Assert.Equal("200", row["amount"]!["quantity"]!.GetValue<string>());
        Assert.Equal("reserved", row["status"]!.GetValue<string>());
        Assert.Equal("reserved", row["bitgoStatus"]!.GetValue<string>());
        Assert.Equal(
            answer["partnerDeallocationId"]!.GetValue<string>(),
            row["partnerDeallocationId"]!.GetValue<string>()
        );
        Assert.Null(row["partnerAllocationId"]);
        Assert.Equal(JsonValueKind.Null, row["rejectionReason"].Kind());
        Assert.Equal(2, row["version"]!.GetValue<int>());
        Assert.True(Time(row, "updatedAt") >= Time(row, "createdAt"));
    }

    [Fact]
    public async Task Clearing_changes_status_version_and_updatedAt_but_not_createdAt()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, "btc", "700");
        Guid id = await bitgo.ReserveDeallocationAsync(c, "btc", "200");
        JsonNode before = (await bitgo.GetAsync($"/api/v1/deallocations/{id}")).Json;

        await bitgo.ClearAsync("deallocation", id);

        JsonNode after = (await bitgo.GetAsync($"/api/v1/deallocations/{id}")).Json;
        Assert.Equal("cleared", after["status"]!.GetValue<string>());
        Assert.Equal("cleared", after["bitgoStatus"]!.GetValue<string>());
        Assert.Equal(3, after["version"]!.GetValue<int>());
        Assert.Equal(Time(before, "createdAt"), Time(after, "createdAt"));
        Assert.True(Time(after, "updatedAt") > Time(before, "updatedAt"));
    }

    [Fact]
    public async Task Refused_deallocation_reads_rejected_to_the_ledger_and_released_to_BitGo()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        (await bitgo.DeallocateAsync(id, c, "btc", "1")).AssertStatus(HttpStatusCode.OK);

        JsonNode row = (await bitgo.GetAsync($"/api/v1/deallocations/{id}")).Json;

        Assert.Equal("rejected", row["status"]!.GetValue<string>());
        Assert.Equal("released", row["bitgoStatus"]!.GetValue<string>());
        Assert.Equal("insufficient funds", row["rejectionReason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Allocation_status_names_the_partner_reference_partnerAllocationId()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = await bitgo.AllocateAsync(c, "eth", "42");

        JsonNode row = (await bitgo.GetAsync($"/api/v1/allocations/{id}"))
            .AssertStatus(HttpStatusCode.OK)
            .Json;

        Assert.Equal("allocation", row["kind"]!.GetValue<string>());
        Assert.Equal("reserved", row["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(row["partnerAllocationId"]?.GetValue<string>()));
        Assert.Null(row["partnerDeallocationId"]);
    }

    [Fact]
    public async Task Deallocation_id_asked_for_as_an_allocation_is_404_and_appends_nothing()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        Guid id = Guid.NewGuid();
        (await bitgo.DeallocateAsync(id, c, "btc", "1")).AssertStatus(HttpStatusCode.OK);
        long before = await fixture.CountEventsAsync();

        Answer answer = await bitgo.GetAsync($"/api/v1/allocations/{id}");

        answer.AssertProblem(HttpStatusCode.NotFound);
        Assert.StartsWith("allocationId:", answer.Error);
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("allocations")]
    [InlineData("deallocations")]
    public async Task Unknown_hold_id_is_404_and_appends_nothing(string kind)
    {
        long before = await fixture.CountEventsAsync();

        Answer answer = await fixture.BitGo().GetAsync($"/api/v1/{kind}/{Guid.NewGuid()}");

        answer.AssertProblem(HttpStatusCode.NotFound);

        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("allocations", "allocationId:")]
    [InlineData("deallocations", "deallocationId:")]
    public async Task Malformed_hold_id_is_400_naming_the_id_and_appends_nothing(
        string kind,
        string field
    )
    {
        long before = await fixture.CountEventsAsync();

        Answer answer = await fixture.BitGo().GetAsync($"/api/v1/{kind}/12345");

        answer.AssertProblem(HttpStatusCode.BadRequest);
        Assert.StartsWith(field, answer.Error);
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    private static DateTimeOffset Time(JsonNode row, string name) =>
        DateTimeOffset.Parse(row[name]!.GetValue<string>(), CultureInfo.InvariantCulture);
}
