using System.Net;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests;

public sealed class HealthTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    [Fact]
    public async Task Ready_is_200_when_the_database_answers_with_the_current_schema()
    {
        (await fixture.BitGo().GetAsync("/health/ready")).AssertStatus(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Live_is_200()
    {
        (await fixture.BitGo().GetAsync("/health/live")).AssertStatus(HttpStatusCode.OK);
    }
}
