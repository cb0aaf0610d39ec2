using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Queries;

public sealed class BalanceQueryTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    [Fact]
    public async Task Balances_show_each_part_per_currency_and_per_connection()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.AllocateAsync(c, "btc", "1000"); // pending credit, not cleared
        await bitgo.FundAsync(c, "btc", "700"); // allocated and cleared: available
        await bitgo.ReserveDeallocationAsync(c, "btc", "200"); // available -> reserved
        await bitgo.FundAsync(c, "eth", "5");

        JsonNode body = (await bitgo.GetAsync($"/api/v1/clients/{c.ClientId}/balances"))
            .AssertStatus(HttpStatusCode.OK)
            .Json;

        Assert.Equal(c.ClientId.ToString(), body["clientId"]!.GetValue<string>());
        AssertParts(body["balances"]!["btc"], "500", "200", "1000");
        AssertParts(body["balances"]!["eth"], "5", "0", "0");
        JsonNode network = body["networkBalances"]![c.ConnectionId.ToString()]!;
        Assert.Equal(c.ClientId.ToString(), network["clientId"]!.GetValue<string>());
        Assert.Equal(c.PartnersConnectionId, network["partnersConnectionId"]!.GetValue<string>());
        Assert.True(Guid.TryParse(network["partnerId"]!.GetValue<string>(), out _));
        AssertParts(network["balances"]!["btc"], "500", "200", "1000");
        AssertParts(network["balances"]!["eth"], "5", "0", "0");
    }

    [Fact]
    public async Task Clearing_a_deallocation_takes_its_amount_out_of_reserved()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, "btc", "700");
        Guid deallocation = await bitgo.ReserveDeallocationAsync(c, "btc", "200");

        await bitgo.ClearAsync("deallocation", deallocation);

        JsonNode body = (await bitgo.GetAsync($"/api/v1/clients/{c.ClientId}/balances")).Json;
        AssertParts(body["balances"]!["btc"], "500", "0", "0");
    }

    [Fact]
    public async Task Two_connections_of_one_client_sum_per_currency_and_show_apart_per_connection()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection first = await bitgo.ConnectAsync();
        TestConnection second = await bitgo.ConnectAsync(first.ClientId);
        await bitgo.FundAsync(first, "btc", "300");
        await bitgo.FundAsync(second, "btc", "40");
        await bitgo.AllocateAsync(second, "btc", "2");
        await bitgo.FundAsync(second, "eth", "9");

        JsonNode body = (await bitgo.GetAsync($"/api/v1/clients/{first.ClientId}/balances")).Json;

        AssertParts(body["balances"]!["btc"], "340", "0", "2");
        AssertParts(body["balances"]!["eth"], "9", "0", "0");
        JsonObject network = body["networkBalances"]!.AsObject();
        Assert.Equal(2, network.Count);
        AssertParts(network[first.ConnectionId.ToString()]!["balances"]!["btc"], "300", "0", "0");
        Assert.Null(network[first.ConnectionId.ToString()]!["balances"]!["eth"]);
        AssertParts(network[second.ConnectionId.ToString()]!["balances"]!["btc"], "40", "0", "2");
    }

    [Fact]
    public async Task A_connection_that_never_held_funds_is_listed_with_no_currencies()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();

        JsonNode body = (await bitgo.GetAsync($"/api/v1/clients/{c.ClientId}/balances"))
            .AssertStatus(HttpStatusCode.OK)
            .Json;

        Assert.Empty(body["balances"]!.AsObject());
        JsonNode network = body["networkBalances"]![c.ConnectionId.ToString()]!;
        Assert.Equal(c.PartnersConnectionId, network["partnersConnectionId"]!.GetValue<string>());
        Assert.True(Guid.TryParse(network["partnerId"]!.GetValue<string>(), out _));
        Assert.Empty(network["balances"]!.AsObject());
    }

    [Fact]
    public async Task Balances_beyond_64_bits_are_exact_digit_strings()
    {
        const string wei = "123456789012345678901234567890123";
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, "eth", wei);
        await bitgo.FundAsync(c, "eth", wei);

        JsonNode body = (await bitgo.GetAsync($"/api/v1/clients/{c.ClientId}/balances")).Json;

        AssertParts(body["balances"]!["eth"], "246913578024691357802469135780246", "0", "0");
    }

    [Fact]
    public async Task Balances_of_an_unknown_client_are_200_with_empty_maps_and_append_nothing()
    {
        long before = await fixture.CountEventsAsync();

        JsonNode body = (
            await fixture.BitGo().GetAsync($"/api/v1/clients/{Guid.NewGuid()}/balances")
        )
            .AssertStatus(HttpStatusCode.OK)
            .Json;

        Assert.Empty(body["balances"]!.AsObject());
        Assert.Empty(body["networkBalances"]!.AsObject());
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("0f8fad5bd9cb469fa16570867728950e")]
    public async Task Malformed_client_id_is_400_and_appends_nothing(string clientId)
    {
        long before = await fixture.CountEventsAsync();

        Answer answer = await fixture.BitGo().GetAsync($"/api/v1/clients/{clientId}/balances");

        answer.AssertProblem(HttpStatusCode.BadRequest);
        Assert.StartsWith("clientId:", answer.Error);
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    /// <summary>Every part is a JSON string of digits, never a number (ADR 0005).</summary>
    private static void AssertParts(
        JsonNode? parts,
        string available,
        string reserved,
        string pendingCredit
    )
    {
        Assert.NotNull(parts);
        (string Name, string Expected)[] expectations =
        [
            ("available", available),
            ("reserved", reserved),
            ("pendingCredit", pendingCredit),
        ];
        foreach ((string name, string expected) in expectations)
        {
            Assert.Equal(JsonValueKind.String, parts[name].Kind());
            Assert.Equal(expected, parts[name]!.GetValue<string>());
        }
    }
}
