using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// A host whose limiter allows 3 authentication failures per address. The window is an hour,
/// not the default minute, so that even a very slow run never sees a window end between a
/// test's third failure and its fourth request.
/// </summary>
public sealed class RateLimitHost : SecurityHost
{
    public const int FailuresPerWindowMax = 3;

    protected override IEnumerable<KeyValuePair<string, string>> Settings =>
        [
            .. TestCredentials.Settings(),
            new(
                "Auth:FailuresPerWindowMax",
                FailuresPerWindowMax.ToString(CultureInfo.InvariantCulture)
            ),
            new("Auth:FailureWindowSeconds", "3600"),
        ];

    protected override bool AddressFromHeader => true;
}

/// <summary>
/// Issue 4: after Auth:FailuresPerWindowMax authentication failures from one address within
/// Auth:FailureWindowSeconds, that address gets 429. Every test speaks from its own address
/// (see <see cref="LedgerHosts.ClientAddressHeader"/>), so the tests do not block each other.
/// </summary>
public sealed class AuthFailureLimiterTests(RateLimitHost host) : IClassFixture<RateLimitHost>
{
    [Fact]
    public async Task Fourth_failure_from_one_address_in_the_window_is_429_and_appends_nothing()
    {
        BitGoClient unsigned = Client("192.0.2.1", unsigned: true);
        await FailAsync(unsigned, RateLimitHost.FailuresPerWindowMax);
        long before = await host.CountEventsAsync();

        Answer fourth = await ActivateAsync(unsigned);

        AssertTooMany(fourth);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    /// <summary>
    /// The limiter blocks the address, not the token: a blocked address is answered before its
    /// credential is even read. Otherwise a client guessing credentials could still tell a hit
    /// from a miss while blocked, and every guess would still cost an RSA check and a jti write.
    /// </summary>
    [Fact]
    public async Task Valid_request_from_a_blocked_address_is_429_and_appends_nothing()
    {
        await FailAsync(Client("192.0.2.2", unsigned: true), RateLimitHost.FailuresPerWindowMax);
        long before = await host.CountEventsAsync();

        Answer valid = await ActivateAsync(Client("192.0.2.2"));

        AssertTooMany(valid);
        Assert.Equal(before, await host.CountEventsAsync());
    }

    [Fact]
    public async Task Failures_from_one_address_do_not_block_another()
    {
        await FailAsync(
            Client("192.0.2.3", unsigned: true),
            RateLimitHost.FailuresPerWindowMax + 1
        );
        long before = await host.CountEventsAsync();

        Answer other = await ActivateAsync(Client("192.0.2.4"));

        other.AssertStatus(HttpStatusCode.OK);
        Assert.Equal(before + 1, await host.CountEventsAsync());
    }

    /// <summary>Both APIs share one limiter: guessing API keys also blocks BitGo's path.</summary>
    [Fact]
    public async Task Unknown_api_key_failures_block_the_address_on_the_BitGo_api_too()
    {
        BitGoClient stranger = new(Http("192.0.2.5")) { ApiKey = "unknown-key-0123456789abcdef" };
        for (int i = 0; i < RateLimitHost.FailuresPerWindowMax; i++)
        {
            (await stranger.GetAsync($"/api/v1/clients/{Guid.NewGuid()}/balances")).AssertProblem(
                HttpStatusCode.Unauthorized
            );
        }

        Answer valid = await ActivateAsync(Client("192.0.2.5"));

        AssertTooMany(valid);
    }

    /// <summary>A known key whose role is too small is authenticated: no failure.</summary>
    [Fact]
    public async Task Forbidden_role_answers_do_not_count_as_failures()
    {
        BitGoClient reader = new(Http("192.0.2.6")) { ApiKey = TestCredentials.ReaderApiKey };
        for (int i = 0; i < RateLimitHost.FailuresPerWindowMax + 1; i++)
        {
            (
                await reader.PostAsync(
                    $"/api/v1/connections/{Guid.NewGuid()}/deactivate",
                    new JsonObject { ["reason"] = "r" }
                )
            ).AssertProblem(HttpStatusCode.Forbidden);
        }

        Answer valid = await ActivateAsync(Client("192.0.2.6"));

        valid.AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Health_endpoints_stay_open_for_a_blocked_address()
    {
        await FailAsync(Client("192.0.2.7", unsigned: true), RateLimitHost.FailuresPerWindowMax);

        using HttpResponseMessage live = await Http("192.0.2.7").GetAsync("/health/live");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    private async Task FailAsync(BitGoClient unsigned, int failures)
    {
        for (int i = 0; i < failures; i++)
        {
            Answer answer = await ActivateAsync(unsigned);
            Assert.True(
                answer.Status is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests,
                $"expected a refusal, got {(int)answer.Status}: {answer.Body}"
            );
            if (i < RateLimitHost.FailuresPerWindowMax)
            {
                answer.AssertProblem(HttpStatusCode.Unauthorized);
            }
        }
    }

    private static void AssertTooMany(Answer answer)
    {
        answer.AssertProblem(HttpStatusCode.TooManyRequests);
        Assert.StartsWith(
            "authentication: too many failures",
            answer.Error,
            StringComparison.Ordinal
        );
    }

    /// <summary>Activates a fresh connection: appends whenever it is let through.</summary>
    private static Task<Answer> ActivateAsync(BitGoClient client) =>
        client.PostAsync("/bitgo/v1/connections", HostileCorpus.ConnectionBody());

    private BitGoClient Client(string address, bool unsigned = false) =>
        new(Http(address)) { Unsigned = unsigned };

    private HttpClient Http(string address)
    {
        HttpClient http = host.Factory.CreateClient();
        http.DefaultRequestHeaders.Add(LedgerHosts.ClientAddressHeader, address);
        return http;
    }
}
