using System.Net;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Auditors;

public sealed class AuditorAccessTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    [Theory]
    [MemberData(nameof(AuditorData.Paths), MemberType = typeof(AuditorData))]
    public async Task A_reader_key_is_403_on_every_auditor_endpoint_and_appends_nothing(string path)
    {
        long before = await fixture.CountEventsAsync();

        Answer answer = await fixture.Reader().GetAsync(path);

        answer.AssertProblemNaming(HttpStatusCode.Forbidden, "authorization");
        Assert.Contains("auditor", answer.Error, StringComparison.Ordinal);
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Theory]
    [MemberData(nameof(AuditorData.Paths), MemberType = typeof(AuditorData))]
    public async Task No_key_is_401_on_every_auditor_endpoint_and_appends_nothing(string path)
    {
        long before = await fixture.CountEventsAsync();

        Answer answer = await new BitGoClient(fixture.Factory.CreateClient())
        {
            Unsigned = true,
        }.GetAsync(path);

        answer.AssertProblemNaming(HttpStatusCode.Unauthorized, "authorization");
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData(TestCredentials.AuditorApiKey)]
    [InlineData(TestCredentials.OperatorApiKey)]
    public async Task Auditor_and_operator_keys_may_call_every_auditor_endpoint(string key)
    {
        TestConnection c = await fixture.BitGo().ConnectAsync();
        string now = await fixture.DatabaseNowAsync();
        var client = new BitGoClient(fixture.Factory.CreateClient()) { ApiKey = key };
        string[] paths =
        [
            $"/api/v1/streams/{c.ConnectionId}/events",
            $"/api/v1/clients/{c.ClientId}/balances/as-of?asOf={now}",
            $"/api/v1/clients/{c.ClientId}/statement?from=2020-01-01T00:00:00Z&to={now}",
        ];

        foreach (string path in paths)
        {
            (await client.GetAsync(path)).AssertStatus(HttpStatusCode.OK);
        }
    }
}
