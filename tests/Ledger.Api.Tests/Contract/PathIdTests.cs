using System.Net;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Contract;

/// <summary>An id in a path is exactly the 36 characters of a UUID: padding is not trimmed away.</summary>
public sealed class PathIdTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    [Theory]
    [InlineData("PUT", "/bitgo/v1/deallocation/{0}%20/clear")]
    [InlineData("PUT", "/bitgo/v1/deallocation/%20{0}/release")]
    [InlineData("GET", "/bitgo/v1/deallocation/{0}%20")]
    [InlineData("PUT", "/bitgo/v1/allocation/{0}%09/clear")]
    [InlineData("GET", "/bitgo/v1/allocation/%20{0}")]
    public async Task A_path_id_padded_with_white_space_is_400_and_appends_nothing(
        string method,
        string path
    )
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection connection = await bitgo.ConnectAsync();
        await bitgo.FundAsync(connection, "btc", "100");
        Guid id = Guid.NewGuid();
        (await bitgo.DeallocateAsync(id, connection, "btc", "10")).AssertStatus(HttpStatusCode.OK);
        long before = await fixture.CountEventsAsync();

        Answer answer = await bitgo.SendAsync(
            new HttpMethod(method),
            string.Format(path, id),
            null,
            null
        );

        answer.AssertProblem(HttpStatusCode.BadRequest);
        Assert.Equal(before, await fixture.CountEventsAsync());
    }
}
