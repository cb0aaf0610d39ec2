using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Auditors;

/// <summary>What the auditor tests share: clients per role, the log's position and clock.</summary>
public static class AuditorData
{
    /// <summary>Every auditor route, with ids that exist or not: auth is checked first.</summary>
    public static readonly TheoryData<string> Paths = new()
    {
        $"/api/v1/streams/{Guid.NewGuid()}/events",
        $"/api/v1/clients/{Guid.NewGuid()}/balances/as-of?atSeq=0",
        $"/api/v1/clients/{Guid.NewGuid()}/statement"
            + "?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z",
    };

    public static BitGoClient Auditor(this LedgerApiFixture fixture) =>
        new(fixture.Factory.CreateClient()) { ApiKey = TestCredentials.AuditorApiKey };

    public static BitGoClient Reader(this LedgerApiFixture fixture) =>
        new(fixture.Factory.CreateClient()) { ApiKey = TestCredentials.ReaderApiKey };

    /// <summary>The log's last seq; 0 when it is empty.</summary>
    public static async Task<long> LastSeqAsync(this LedgerApiFixture fixture) =>
        await fixture.ScalarAsync<long>("SELECT COALESCE(max(seq), 0) FROM ledger.events");

    /// <summary>
    /// The database's clock now, in RFC 3339 with microseconds. It is the clock that stamps
    /// recorded_at, so every event committed before this call is recorded before this instant,
    /// and every event appended after it is recorded after it.
    /// </summary>
    public static async Task<string> DatabaseNowAsync(this LedgerApiFixture fixture) =>
        (
            await fixture.ScalarAsync<string>(
                """
                SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
                """
            )
        )!;

    /// <summary>The live view's answer for a client, as the operator sees it.</summary>
    public static async Task<JsonNode> LiveBalancesAsync(
        this LedgerApiFixture fixture,
        Guid clientId
    ) =>
        (await fixture.BitGo().GetAsync($"/api/v1/clients/{clientId}/balances"))
            .AssertStatus(HttpStatusCode.OK)
            .Json;

    /// <summary>A GET as the auditor that also returns one response header.</summary>
    public static async Task<(Answer Answer, string? Header)> GetWithHeaderAsync(
        this LedgerApiFixture fixture,
        string path,
        string header
    )
    {
        using HttpClient http = fixture.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Bearer",
            TestCredentials.AuditorApiKey
        );
        using HttpResponseMessage response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        string? value = response.Headers.TryGetValues(header, out IEnumerable<string>? values)
            ? values.Single()
            : null;
        return (
            new Answer(response.StatusCode, response.Content.Headers.ContentType?.MediaType, body),
            value
        );
    }

    /// <summary>Releases a reserved hold of either kind.</summary>
    public static async Task ReleaseAsync(this BitGoClient bitgo, string kind, Guid id) =>
        (await bitgo.PutAsync($"/bitgo/v1/{kind}/{id}/release")).AssertStatus(HttpStatusCode.OK);
}
