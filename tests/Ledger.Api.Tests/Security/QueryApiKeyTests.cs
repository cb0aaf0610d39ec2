using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// Issue 4: /api/v1 takes "Authorization: Bearer &lt;key&gt;". No key or an unknown key is 401; a
/// key whose role is below the endpoint's (reader &lt; auditor &lt; operator) is 403; the health
/// endpoints need no key. Each credential works only on its own API.
/// </summary>
public sealed class QueryApiKeyTests(AuthHost host) : IClassFixture<AuthHost>
{
    private const string UnknownKey = "unknown-key-0123456789abcdef";

    public static TheoryData<string> ProtectedPaths() =>
        [
            "/api/v1/clients/{client}/balances",
            "/api/v1/allocations",
            "/api/v1/deallocations/{client}",
            "/api/v1/holds/stale",
        ];

    [Theory]
    [MemberData(nameof(ProtectedPaths))]
    public async Task Query_api_without_a_key_is_401(string path)
    {
        BitGoClient anonymous = new(host.Factory.CreateClient()) { Unsigned = true };

        Answer answer = await anonymous.GetAsync(
            path.Replace("{client}", Guid.NewGuid().ToString(), StringComparison.Ordinal)
        );

        AssertUnauthorized(answer);
    }

    [Fact]
    public async Task Query_api_with_an_unknown_key_is_401()
    {
        BitGoClient stranger = new(host.Factory.CreateClient()) { ApiKey = UnknownKey };

        Answer answer = await stranger.GetAsync($"/api/v1/clients/{Guid.NewGuid()}/balances");

        AssertUnauthorized(answer);
    }

    [Fact]
    public async Task Query_api_with_a_known_key_under_another_scheme_is_401()
    {
        using var request = new HttpRequestMessage(
            HttpMethod.Get,
            $"/api/v1/clients/{Guid.NewGuid()}/balances"
        );
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic",
            TestCredentials.OperatorApiKey
        );

        using HttpResponseMessage response = await host.Factory.CreateClient().SendAsync(request);

        AssertUnauthorized(await response.ToAnswerAsync());
    }

    [Fact]
    public async Task Query_api_without_a_key_refuses_deactivate_and_appends_nothing()
    {
        TestConnection connection = await host.BitGo().ConnectAsync();
        BitGoClient anonymous = new(host.Factory.CreateClient()) { Unsigned = true };
        long before = await host.CountEventsAsync();

        Answer answer = await anonymous.PostAsync(DeactivatePath(connection), Reason());

        AssertUnauthorized(answer);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    [Theory]
    [InlineData(TestCredentials.ReaderApiKey, "operator")]
    [InlineData(TestCredentials.AuditorApiKey, "operator")]
    public async Task Key_below_operator_on_deactivate_is_403_and_appends_nothing(
        string key,
        string role
    )
    {
        TestConnection connection = await host.BitGo().ConnectAsync();
        BitGoClient caller = new(host.Factory.CreateClient()) { ApiKey = key };
        long before = await host.CountEventsAsync();

        Answer answer = await caller.PostAsync(DeactivatePath(connection), Reason());

        answer.AssertProblem(HttpStatusCode.Forbidden);
        Assert.Equal($"authorization: role {role} is required", answer.Error);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    [Fact]
    public async Task Operator_key_deactivates_a_connection_with_200()
    {
        TestConnection connection = await host.BitGo().ConnectAsync();
        long before = await host.CountEventsAsync();

        Answer answer = await host.BitGo().PostAsync(DeactivatePath(connection), Reason());

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.False(answer.Json["active"]!.GetValue<bool>());
        Assert.Equal(before + 1, await host.CountEventsAsync());
    }

    [Fact]
    public async Task Operator_key_on_an_unknown_connection_is_404_and_appends_nothing()
    {
        long before = await host.CountEventsAsync();

        Answer answer = await host.BitGo()
            .PostAsync($"/api/v1/connections/{Guid.NewGuid()}/deactivate", Reason());

        answer.AssertProblem(HttpStatusCode.NotFound);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    [Theory]
    [InlineData(TestCredentials.ReaderApiKey)]
    [InlineData(TestCredentials.AuditorApiKey)]
    [InlineData(TestCredentials.OperatorApiKey)]
    public async Task Every_role_reads_balances_with_200(string key)
    {
        BitGoClient caller = new(host.Factory.CreateClient()) { ApiKey = key };

        Answer answer = await caller.GetAsync($"/api/v1/clients/{Guid.NewGuid()}/balances");

        answer.AssertStatus(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_endpoint_answers_200_without_any_credentials(string path)
    {
        using HttpResponseMessage response = await host.Factory.CreateClient().GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task BitGo_signature_is_no_key_for_the_query_api()
    {
        string path = $"/api/v1/clients/{Guid.NewGuid()}/balances";

        Answer answer = await host
            .Factory.CreateClient()
            .SendAsync(
                new RawRequest(HttpMethod.Get, path, null, null),
                TestCredentials.SignFor([])
            );

        AssertUnauthorized(answer);
    }

    [Fact]
    public async Task Operator_key_is_no_signature_for_the_BitGo_api_and_appends_nothing()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/bitgo/v1/connections")
        {
            Content = new StringContent(
                HostileCorpus.Write(HostileCorpus.ConnectionBody()),
                new MediaTypeHeaderValue("application/json")
            ),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Bearer",
            TestCredentials.OperatorApiKey
        );
        long before = await host.CountEventsAsync();

        using HttpResponseMessage response = await host.Factory.CreateClient().SendAsync(request);

        Answer answer = await response.ToAnswerAsync();
        answer.AssertSignatureRefused("missing (", token: null);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    private static void AssertUnauthorized(Answer answer)
    {
        answer.AssertProblem(HttpStatusCode.Unauthorized);
        Assert.Equal("authorization: a valid 'Bearer <api key>' is required", answer.Error);
    }

    private static string DeactivatePath(TestConnection connection) =>
        $"/api/v1/connections/{connection.ConnectionId}/deactivate";

    private static JsonObject Reason() => new() { ["reason"] = "security test" };
}
