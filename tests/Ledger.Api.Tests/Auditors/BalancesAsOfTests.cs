using System.Net;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Queries;
using Ledger.Api.Tests.Support;
using Npgsql;

namespace Ledger.Api.Tests.Auditors;

public sealed class BalancesAsOfTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    private const string PositionHeader = "Ledger-At-Seq";

    [Fact]
    public async Task Balances_at_a_seq_equal_what_the_live_view_answered_at_that_seq()
    {
        (Guid clientId, List<Moment> moments) = await PlayScenarioAsync();
        BitGoClient auditor = fixture.Auditor();

        foreach (Moment moment in moments)
        {
            JsonNode past = (
                await auditor.GetAsync(
                    $"/api/v1/clients/{clientId}/balances/as-of?atSeq={moment.Seq}"
                )
            )
                .AssertStatus(HttpStatusCode.OK)
                .Json;

            Assert.True(
                JsonNode.DeepEquals(moment.Live, past),
                $"at seq {moment.Seq} ({moment.Step}): live {moment.Live.ToJsonString()}, "
                    + $"as of {past.ToJsonString()}"
            );
        }
    }

    [Fact]
    public async Task Balances_as_of_a_time_equal_what_the_live_view_answered_at_that_time()
    {
        (Guid clientId, List<Moment> moments) = await PlayScenarioAsync();
        BitGoClient auditor = fixture.Auditor();

        foreach (Moment moment in moments)
        {
            JsonNode past = (
                await auditor.GetAsync(
                    $"/api/v1/clients/{clientId}/balances/as-of?asOf={moment.Time}"
                )
            )
                .AssertStatus(HttpStatusCode.OK)
                .Json;

            Assert.True(
                JsonNode.DeepEquals(moment.Live, past),
                $"as of {moment.Time} ({moment.Step}): live {moment.Live.ToJsonString()}, "
                    + $"as of {past.ToJsonString()}"
            );
        }
    }

    [Fact]
    public async Task An_as_of_time_answer_names_the_client_seq_it_was_folded_to()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, "btc", "10");
        string time = await fixture.DatabaseNowAsync();
        long clientLastSeq = await fixture.LastSeqAsync();
        await bitgo.FundAsync(await bitgo.ConnectAsync(), "btc", "7"); // another client, later

        (Answer answer, string? position) = await fixture.GetWithHeaderAsync(
            $"/api/v1/clients/{c.ClientId}/balances/as-of?asOf={time}",
            PositionHeader
        );

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(
            clientLastSeq.ToString(System.Globalization.CultureInfo.InvariantCulture),
            position
        );
    }

    [Fact]
    public async Task An_as_of_time_equal_to_an_event_s_recorded_at_includes_that_event()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, "btc", "10");
        long seq = await fixture.LastSeqAsync();
        string recordedAt = (
            await fixture.ScalarAsync<string>(
                """
                SELECT to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                FROM ledger.events WHERE seq = $1
                """,
                seq
            )
        )!;

        (Answer answer, string? position) = await fixture.GetWithHeaderAsync(
            $"/api/v1/clients/{c.ClientId}/balances/as-of?asOf={recordedAt}",
            PositionHeader
        );

        Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), position);
        Assert.Equal(
            "10",
            answer.AssertStatus(HttpStatusCode.OK).Json["balances"]!["btc"]![
                "available"
            ]!.GetValue<string>()
        );
    }

    [Fact]
    public async Task Balances_as_of_any_moment_of_an_unknown_client_are_empty_and_append_nothing()
    {
        await fixture.BitGo().FundAsync(await fixture.BitGo().ConnectAsync(), "btc", "3");
        long before = await fixture.CountEventsAsync();
        Guid unknown = Guid.NewGuid();

        string[] queries = [$"atSeq={before}", $"asOf={await fixture.DatabaseNowAsync()}"];

        foreach (string query in queries)
        {
            JsonNode body = (
                await fixture
                    .Auditor()
                    .GetAsync($"/api/v1/clients/{unknown}/balances/as-of?{query}")
            )
                .AssertStatus(HttpStatusCode.OK)
                .Json;

            Assert.Equal(unknown.ToString(), body["clientId"]!.GetValue<string>());
            Assert.Empty(body["balances"]!.AsObject());
            Assert.Empty(body["networkBalances"]!.AsObject());
        }
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("not-a-uuid", "atSeq=0", "clientId")]
    [InlineData("{client}", "", "asOf")]
    [InlineData("{client}", "atSeq=0&asOf=2020-01-01T00:00:00Z", "asOf")]
    [InlineData("{client}", "atSeq=-1", "atSeq")]
    [InlineData("{client}", "atSeq=1.5", "atSeq")]
    [InlineData("{client}", "atSeq=%2B1", "atSeq")]
    [InlineData("{client}", "atSeq=", "atSeq")]
    [InlineData("{client}", "atSeq=99999999999999999999", "atSeq")]
    [InlineData("{client}", "asOf=yesterday", "asOf")]
    [InlineData("{client}", "asOf=2020-01-01", "asOf")]
    [InlineData("{client}", "asOf=2020-01-01T00:00:00", "asOf")]
    [InlineData("{client}", "asOf=2020-01-01T00:00:00.1234567Z", "asOf")]
    [InlineData("{client}", "asOf=2020-13-01T00:00:00Z", "asOf")]
    [InlineData("{client}", "asOf=2020-01-01T00:00:00Z%0A", "asOf")]
    public async Task Malformed_or_conflicting_as_of_parameters_are_400_and_append_nothing(
        string clientId,
        string query,
        string field
    )
    {
        long before = await fixture.CountEventsAsync();
        string client = clientId.Replace("{client}", Guid.NewGuid().ToString());

        Answer answer = await fixture
            .Auditor()
            .GetAsync($"/api/v1/clients/{client}/balances/as-of?{query}");

        answer.AssertProblemNaming(HttpStatusCode.BadRequest, field);
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Fact]
    public async Task A_moment_after_the_present_is_400_and_appends_nothing()
    {
        Guid clientId = Guid.NewGuid();
        long before = await fixture.CountEventsAsync();
        long lastSeq = await fixture.LastSeqAsync();

        Answer late = await fixture
            .Auditor()
            .GetAsync($"/api/v1/clients/{clientId}/balances/as-of?atSeq={lastSeq + 1_000}");
        Answer future = await fixture
            .Auditor()
            .GetAsync($"/api/v1/clients/{clientId}/balances/as-of?asOf=2999-01-01T00:00:00Z");

        late.AssertProblemNaming(HttpStatusCode.BadRequest, "atSeq");
        future.AssertProblemNaming(HttpStatusCode.BadRequest, "asOf");
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("atSeq=1")]
    [InlineData("asOf=2020-01-01T00:00:00Z")]
    public async Task Balances_with_asOf_or_atSeq_answer_as_the_as_of_path_for_an_auditor(
        string query
    )
    {
        string path = $"/api/v1/clients/{Guid.NewGuid()}/balances";
        var auditor = new BitGoClient(fixture.Factory.CreateClient())
        {
            ApiKey = TestCredentials.AuditorApiKey,
        };

        Answer viaQuery = await auditor.GetAsync($"{path}?{query}");
        Answer viaPath = await auditor.GetAsync($"{path}/as-of?{query}");

        viaQuery.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(viaPath.Body, viaQuery.Body);
    }

    [Theory]
    [InlineData("asOf=2020-01-01T00:00:00Z")]
    [InlineData("atSeq=1")]
    public async Task Balances_with_asOf_or_atSeq_are_403_for_a_reader(string query)
    {
        long before = await fixture.CountEventsAsync();
        var reader = new BitGoClient(fixture.Factory.CreateClient())
        {
            ApiKey = TestCredentials.ReaderApiKey,
        };

        Answer answer = await reader.GetAsync($"/api/v1/clients/{Guid.NewGuid()}/balances?{query}");

        answer.AssertProblem(HttpStatusCode.Forbidden);
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Fact]
    public async Task A_client_s_events_are_found_through_the_client_index()
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using (var off = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await off.ExecuteNonQueryAsync();
        }
        await using var explain = new NpgsqlCommand(
            """
            EXPLAIN SELECT seq FROM ledger.events
            WHERE data->>'clientId' = $1 AND seq > $2 ORDER BY seq LIMIT 10
            """,
            connection
        );
        explain.Parameters.Add(new NpgsqlParameter { Value = Guid.NewGuid().ToString() });
        explain.Parameters.Add(new NpgsqlParameter { Value = 0L });
        var plan = new List<string>();
        await using NpgsqlDataReader reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(0));
        }

        Assert.Contains(
            plan,
            line => line.Contains("ix_events_client_seq", StringComparison.Ordinal)
        );
    }

    /// <summary>
    /// Moves one client's balances through every kind of balance-moving event, with another
    /// client's activity in between, and records after each step what the live view said, the
    /// log's last seq and the database's clock.
    /// </summary>
    private async Task<(Guid ClientId, List<Moment> Moments)> PlayScenarioAsync()
    {
        BitGoClient bitgo = fixture.BitGo();
        var clientId = Guid.NewGuid();
        TestConnection? first = null;
        TestConnection? second = null;
        TestConnection other = await bitgo.ConnectAsync();
        Guid deallocation = Guid.Empty;
        Guid allocation = Guid.Empty;
        (string Step, Func<Task> Act)[] steps =
        [
            ("nothing yet", () => Task.CompletedTask),
            ("connected", async () => first = await bitgo.ConnectAsync(clientId)),
            (
                "allocated",
                async () => allocation = await bitgo.AllocateAsync(first!, "btc", "1000")
            ),
            ("allocation cleared", () => bitgo.ClearAsync("allocation", allocation)),
            ("other client funded", () => bitgo.FundAsync(other, "btc", "50")),
            (
                "deallocation reserved",
                async () =>
                    deallocation = await bitgo.ReserveDeallocationAsync(first!, "btc", "200")
            ),
            ("deallocation cleared", () => bitgo.ClearAsync("deallocation", deallocation)),
            ("second connection", async () => second = await bitgo.ConnectAsync(clientId)),
            ("second funded", () => bitgo.FundAsync(second!, "eth", "5")),
            (
                "allocation reserved",
                async () => allocation = await bitgo.AllocateAsync(second!, "btc", "3")
            ),
            ("allocation released", () => bitgo.ReleaseAsync("allocation", allocation)),
            (
                "deallocation reserved again",
                async () =>
                    deallocation = await bitgo.ReserveDeallocationAsync(first!, "btc", "100")
            ),
            ("deallocation released", () => bitgo.ReleaseAsync("deallocation", deallocation)),
        ];
        var moments = new List<Moment>();
        foreach ((string step, Func<Task> act) in steps)
        {
            await act();
            moments.Add(
                new Moment(
                    step,
                    await fixture.LastSeqAsync(),
                    await fixture.DatabaseNowAsync(),
                    await fixture.LiveBalancesAsync(clientId)
                )
            );
        }
        Assert.NotEqual(moments[^1].Live.ToJsonString(), moments[0].Live.ToJsonString());
        return (clientId, moments);
    }

    private sealed record Moment(string Step, long Seq, string Time, JsonNode Live);
}
