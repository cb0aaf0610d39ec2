using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;
using Ledger.Domain.Connections;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// Issue 4's hostile input: every BitGo endpoint meets the corpus of <see cref="HostileCorpus"/>.
/// Each case is signed validly for its exact bytes, so it passes authentication and reaches the
/// parsing and validation it is aimed at. Each must be refused with a 4xx ProblemDetails that
/// carries "error" (route-level 404/405 too), never a 5xx, and must append nothing.
/// </summary>
public sealed class HostileInputTests(HostileInputHost host) : IClassFixture<HostileInputHost>
{
    public static TheoryData<string, string> Corpus() => HostileCorpus.All();

    public static TheoryData<string> BodyEndpoints() =>
        [.. HostileCorpus.BodyEndpoints.Select(e => e.Name)];

    [Theory]
    [MemberData(nameof(Corpus))]
    public async Task Hostile_request_is_a_4xx_problem_and_appends_nothing(
        string endpoint,
        string hostileCase
    )
    {
        RawRequest request = HostileCorpus
            .Find(endpoint, hostileCase)
            .Build(await host.ConnectionAsync());
        long before = await host.CountEventsAsync();

        Answer answer = await host.Factory.CreateClient().SendSignedAsync(request);

        answer.AssertClientErrorProblem();
        Assert.Equal(before, await host.CountEventsAsync());
    }

    [Fact]
    public void Corpus_holds_at_least_150_cases_and_reaches_every_BitGo_endpoint()
    {
        string[] endpoints = [.. HostileCorpus.Cases.Select(c => c.Endpoint).Distinct()];

        Assert.True(HostileCorpus.Cases.Count >= 150, $"only {HostileCorpus.Cases.Count} cases");
        Assert.Equal(9, endpoints.Length);
        Assert.All(
            endpoints,
            e =>
                Assert.True(
                    HostileCorpus.Cases.Count(c => c.Endpoint == e) >= 20,
                    $"{e} has under 20 cases"
                )
        );
    }

    /// <summary>
    /// The corpus's base bodies are valid, so each hostile case is refused for its one hostile
    /// part; and fields BitGo may add later are ignored, never refused (JsonBody).
    /// </summary>
    [Theory]
    [MemberData(nameof(BodyEndpoints))]
    public async Task Valid_body_with_extra_fields_is_processed_normally(string endpoint)
    {
        BodyEndpoint target = HostileCorpus.BodyEndpoints.Single(e => e.Name == endpoint);
        JsonObject body = target.ValidBody(await host.ConnectionAsync());
        body["futureField"] = new JsonObject { ["nested"] = new JsonArray(1, "two", null) };
        body["notes"] = "added by a later contract version";
        if (body["amount"] is JsonObject amount)
        {
            amount["decimals"] = 8;
        }
        long before = await host.CountEventsAsync();

        Answer answer = await host
            .Factory.CreateClient()
            .SendSignedAsync(
                new RawRequest(
                    HttpMethod.Post,
                    target.Path,
                    Encoding.UTF8.GetBytes(HostileCorpus.Write(body))
                )
            );

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Null(answer.Json["futureField"]);
        Assert.True(await host.CountEventsAsync() > before, "a valid request appended nothing");
    }

    /// <summary>
    /// In a free-text field SQL metacharacters are data, not an attack that reached a parser:
    /// every statement takes parameters, so the text is stored byte for byte (the connection
    /// token only as its hash, ADR 0007) and the event table is untouched.
    /// </summary>
    [Theory]
    [InlineData("clientWalletId", "clientWalletId")]
    [InlineData("connectionToken", "connectionTokenSha256")]
    public async Task Sql_metacharacters_in_a_connection_text_field_are_stored_as_data(
        string field,
        string storedMember
    )
    {
        JsonObject body = HostileCorpus.BodyEndpoints[0].ValidBody(await host.ConnectionAsync());
        body[field] = HostileCorpus.SqlMetacharacters;
        string expected =
            field == "connectionToken"
                ? ConnectionDecisions.TokenSha256(HostileCorpus.SqlMetacharacters)
                : HostileCorpus.SqlMetacharacters;
        long before = await host.CountEventsAsync();

        Answer answer = await host.BitGo().PostAsync("/bitgo/v1/connections", body);

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(before + 1, await host.CountEventsAsync());
        string? stored = await host.ScalarAsync<string>(
            "SELECT data ->> $1 FROM ledger.events WHERE stream_id = $2",
            storedMember,
            Guid.Parse(body["connectionId"]!.GetValue<string>())
        );
        Assert.Equal(expected, stored);
    }

    [Theory]
    [InlineData("partnersConnectionId", "partnersConnectionId does not match the connection")]
    [InlineData("partnerClientId", "partnerClientId does not match the connection")]
    public async Task Sql_metacharacters_in_a_hold_text_field_are_data_answered_verbatim(
        string field,
        string rejection
    )
    {
        TestConnection connection = await host.ConnectionAsync();
        Guid id = Guid.NewGuid();
        JsonObject body = HoldKind.Allocation.Body(id, connection, "btc", "5");
        body[field] = HostileCorpus.SqlMetacharacters;

        Answer answer = await host.BitGo().PostAsync("/bitgo/v1/allocations", body);

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(rejection, answer.Json["rejectionReason"]?.GetValue<string>());
        Assert.Equal(HostileCorpus.SqlMetacharacters, answer.Json[field]?.GetValue<string>());
        Assert.True(
            await host.ScalarAsync<long>(
                "SELECT count(*) FROM ledger.events WHERE stream_id = $1",
                id
            ) > 0
        );
    }
}
