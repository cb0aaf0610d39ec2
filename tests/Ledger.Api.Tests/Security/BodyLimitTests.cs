using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// Issue 4: a body over 16 KiB is 413 ProblemDetails and appends nothing, whether or not its
/// length is announced; a body of exactly 16 KiB is not refused for its size.
/// </summary>
public sealed class BodyLimitTests(HostileInputHost host) : IClassFixture<HostileInputHost>
{
    private const int BodyBytesMax = 16 * 1024;

    public static TheoryData<string, bool> OversizedCases()
    {
        var data = new TheoryData<string, bool>();
        foreach (BodyEndpoint endpoint in HostileCorpus.BodyEndpoints)
        {
            data.Add(endpoint.Name, false);
            data.Add(endpoint.Name, true);
        }
        return data;
    }

    public static TheoryData<string> Endpoints() =>
        [.. HostileCorpus.BodyEndpoints.Select(e => e.Name)];

    [Theory]
    [MemberData(nameof(OversizedCases))]
    public async Task Body_over_16_KiB_is_413_problem_and_appends_nothing(
        string endpoint,
        bool chunked
    )
    {
        BodyEndpoint target = HostileCorpus.BodyEndpoints.Single(e => e.Name == endpoint);
        byte[] body = Padded(target.ValidBody(await host.ConnectionAsync()), BodyBytesMax + 1);
        long before = await host.CountEventsAsync();

        Answer answer = await host
            .Factory.CreateClient()
            .SendSignedAsync(
                new RawRequest(HttpMethod.Post, target.Path, body) { Chunked = chunked }
            );

        answer.AssertProblem(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    [Fact]
    public async Task Body_over_16_KiB_on_deactivate_is_413_problem_and_appends_nothing()
    {
        TestConnection connection = await host.BitGo().ConnectAsync();
        string body = HostileCorpus
            .Write(new JsonObject { ["reason"] = "r" })
            .PadRight(BodyBytesMax + 1);
        long before = await host.CountEventsAsync();

        Answer answer = await host.BitGo()
            .PostAsync($"/api/v1/connections/{connection.ConnectionId}/deactivate", body);

        answer.AssertProblem(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task Body_of_exactly_16_KiB_is_not_refused_for_its_size(string endpoint)
    {
        BodyEndpoint target = HostileCorpus.BodyEndpoints.Single(e => e.Name == endpoint);
        byte[] body = Padded(target.ValidBody(await host.ConnectionAsync()), BodyBytesMax);

        Answer answer = await host
            .Factory.CreateClient()
            .SendSignedAsync(new RawRequest(HttpMethod.Post, target.Path, body));

        answer.AssertStatus(HttpStatusCode.OK);
    }

    /// <summary>The valid body padded with spaces to exactly <paramref name="bytes"/>.</summary>
    private static byte[] Padded(JsonObject body, int bytes)
    {
        byte[] padded = Encoding.UTF8.GetBytes(HostileCorpus.Write(body).PadRight(bytes));
        Assert.Equal(bytes, padded.Length);
        return padded;
    }
}
