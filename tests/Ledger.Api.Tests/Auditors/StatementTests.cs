using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Queries;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Auditors;

public sealed class StatementTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    [Fact]
    public async Task Statement_opening_plus_movements_equals_closing_per_currency()
    {
        Period p = await PlayPeriodAsync();

        JsonNode section = await BtcSectionAsync(p);

        AssertParts(section["opening"], "1000", "0", "0");
        Assert.Equal(
            ["-200/200/0", "0/-200/0", "0/0/30", "30/0/-30"],
            section["movements"]!.AsArray().Select(m => Signed(m!)).ToArray()
        );
        Assert.Equal("-170/0/0", Signed(section["movementsTotal"]!));
        Assert.Equal("830/0/0", Signed(section["openingPlusMovements"]!));
        AssertParts(section["closing"], "830", "0", "0");
        Assert.True(section["balanced"]!.GetValue<bool>());
        Assert.True(JsonNode.DeepEquals(p.LiveAtTo["balances"]!["btc"], section["closing"]));
        Assert.True(JsonNode.DeepEquals(p.LiveAtFrom["balances"]!["btc"], section["opening"]));
    }

    [Fact]
    public async Task Statement_movements_reference_the_real_events_that_made_them()
    {
        Period p = await PlayPeriodAsync();
        JsonNode section = await BtcSectionAsync(p);
        BitGoClient auditor = fixture.Auditor();

        foreach (JsonNode? movement in section["movements"]!.AsArray())
        {
            JsonNode stream = (
                await auditor.GetAsync(
                    $"/api/v1/streams/{movement!["streamId"]!.GetValue<string>()}/events"
                )
            )
                .AssertStatus(HttpStatusCode.OK)
                .Json;
            JsonNode e = stream["events"]!.AsArray()[movement["version"]!.GetValue<int>() - 1]!;

            Assert.Equal(e["seq"]!.GetValue<long>(), movement["seq"]!.GetValue<long>());
            Assert.Equal(e["type"]!.GetValue<string>(), movement["type"]!.GetValue<string>());
            Assert.Equal(
                e["recordedAt"]!.GetValue<string>(),
                movement["recordedAt"]!.GetValue<string>()
            );
            Assert.Equal(
                p.Connection.ConnectionId.ToString(),
                movement["connectionId"]!.GetValue<string>()
            );
            Assert.Equal(
                p.Connection.ConnectionId.ToString(),
                e["data"]!["connectionId"]!.GetValue<string>()
            );
            Assert.InRange(
                string.CompareOrdinal(e["recordedAt"]!.GetValue<string>(), p.From),
                0,
                int.MaxValue
            );
            Assert.True(string.CompareOrdinal(e["recordedAt"]!.GetValue<string>(), p.To) < 0);
        }
    }

    [Fact]
    public async Task Statement_without_currency_has_one_balanced_section_per_currency()
    {
        Period p = await PlayPeriodAsync();

        JsonNode body = (
            await fixture
                .Auditor()
                .GetAsync(
                    $"/api/v1/clients/{p.Connection.ClientId}/statement?from={p.From}&to={p.To}"
                )
        )
            .AssertStatus(HttpStatusCode.OK)
            .Json;

        JsonArray sections = body["currencies"]!.AsArray();
        Assert.Equal(["btc", "eth"], sections.Select(s => s!["currency"]!.GetValue<string>()));
        Assert.All(sections, s => Assert.True(s!["balanced"]!.GetValue<bool>()));
        JsonNode eth = sections[1]!;
        AssertParts(eth["opening"], "0", "0", "0");
        Assert.Equal(["0/0/4", "4/0/-4"], eth["movements"]!.AsArray().Select(m => Signed(m!)));
        AssertParts(eth["closing"], "4", "0", "0");
    }

    [Fact]
    public async Task Statement_of_an_unknown_client_shows_zero_balances_and_appends_nothing()
    {
        string to = await fixture.DatabaseNowAsync();
        long before = await fixture.CountEventsAsync();

        JsonNode body = (
            await fixture
                .Auditor()
                .GetAsync(
                    $"/api/v1/clients/{Guid.NewGuid()}/statement?from=2020-01-01T00:00:00Z&to={to}"
                        + "&currency=btc"
                )
        )
            .AssertStatus(HttpStatusCode.OK)
            .Json;

        JsonNode section = body["currencies"]!.AsArray().Single()!;
        AssertParts(section["opening"], "0", "0", "0");
        Assert.Empty(section["movements"]!.AsArray());
        AssertParts(section["closing"], "0", "0", "0");
        Assert.True(section["balanced"]!.GetValue<bool>());
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("not-a-uuid", "from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z", "clientId")]
    [InlineData("{client}", "to=2020-01-02T00:00:00Z", "from")]
    [InlineData("{client}", "from=2020-01-01T00:00:00Z", "to")]
    [InlineData("{client}", "from=2020-01-02T00:00:00Z&to=2020-01-01T00:00:00Z", "to")]
    [InlineData("{client}", "from=2020-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", "to")]
    [InlineData("{client}", "from=2020-01-01T01:00:00%2B01:00&to=2020-01-01T00:00:00Z", "to")]
    [InlineData("{client}", "from=2020-01-01&to=2020-01-02T00:00:00Z", "from")]
    [InlineData("{client}", "from=2020-01-01T00:00:00Z&to=tomorrow", "to")]
    [InlineData(
        "{client}",
        "from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z&currency=BTC",
        "currency"
    )]
    public async Task Malformed_statement_parameters_are_400_and_append_nothing(
        string clientId,
        string query,
        string field
    )
    {
        long before = await fixture.CountEventsAsync();
        string client = clientId.Replace("{client}", Guid.NewGuid().ToString());

        Answer answer = await fixture
            .Auditor()
            .GetAsync($"/api/v1/clients/{client}/statement?{query}");

        answer.AssertProblemNaming(HttpStatusCode.BadRequest, field);
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Fact]
    public async Task Statement_ending_after_the_present_is_400_and_appends_nothing()
    {
        long before = await fixture.CountEventsAsync();

        Answer answer = await fixture
            .Auditor()
            .GetAsync(
                $"/api/v1/clients/{Guid.NewGuid()}/statement?from=2020-01-01T00:00:00Z"
                    + "&to=2999-01-01T00:00:00Z"
            );

        answer.AssertProblemNaming(HttpStatusCode.BadRequest, "to");
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    /// <summary>
    /// Activity before the period (funding 1000 btc), inside it (a deallocation of 200 reserved
    /// and cleared, 30 btc allocated and cleared, 4 eth funded), and after it (more funding),
    /// with the live view's answer at its start and end.
    /// </summary>
    private async Task<Period> PlayPeriodAsync()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, "btc", "1000");
        string from = await fixture.DatabaseNowAsync();
        JsonNode liveAtFrom = await fixture.LiveBalancesAsync(c.ClientId);
        Guid deallocation = await bitgo.ReserveDeallocationAsync(c, "btc", "200");
        await bitgo.ClearAsync("deallocation", deallocation);
        await bitgo.FundAsync(c, "btc", "30");
        await bitgo.FundAsync(c, "eth", "4");
        string to = await fixture.DatabaseNowAsync();
        JsonNode liveAtTo = await fixture.LiveBalancesAsync(c.ClientId);
        await bitgo.FundAsync(c, "btc", "9");
        return new Period(c, from, to, liveAtFrom, liveAtTo);
    }

    private async Task<JsonNode> BtcSectionAsync(Period p)
    {
        JsonNode body = (
            await fixture
                .Auditor()
                .GetAsync(
                    $"/api/v1/clients/{p.Connection.ClientId}/statement?from={p.From}&to={p.To}"
                        + "&currency=btc"
                )
        )
            .AssertStatus(HttpStatusCode.OK)
            .Json;
        Assert.Equal(p.Connection.ClientId.ToString(), body["clientId"]!.GetValue<string>());
        return body["currencies"]!.AsArray().Single()!;
    }

    /// <summary>"available/reserved/pendingCredit", each a JSON string of signed digits.</summary>
    private static string Signed(JsonNode parts)
    {
        string[] values =
        [
            .. new[] { "available", "reserved", "pendingCredit" }.Select(name =>
                parts[name]!.GetValue<string>()
            ),
        ];
        Assert.All(
            values,
            v => BigInteger.Parse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)
        );
        return string.Join('/', values);
    }

    private static void AssertParts(
        JsonNode? parts,
        string available,
        string reserved,
        string pendingCredit
    )
    {
        Assert.NotNull(parts);
        Assert.Equal($"{available}/{reserved}/{pendingCredit}", Signed(parts));
    }

    private sealed record Period(
        TestConnection Connection,
        string From,
        string To,
        JsonNode LiveAtFrom,
        JsonNode LiveAtTo
    );
}
