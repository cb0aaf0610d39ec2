using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ledger.Api.Tests.Queries;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Auditors;

public sealed partial class StreamEventsTests(LedgerApiFixture fixture)
    : IClassFixture<LedgerApiFixture>
{
    [Fact]
    public async Task Stream_events_show_every_field_in_version_order_with_hex_hashes()
    {
        BitGoClient bitgo = fixture.Auditor();
        TestConnection c = await bitgo.ConnectAsync();
        Guid allocation = await bitgo.AllocateAsync(c, "btc", "1000");
        await bitgo.ClearAsync("allocation", allocation);

        JsonNode body = (await bitgo.GetAsync($"/api/v1/streams/{allocation}/events"))
            .AssertStatus(HttpStatusCode.OK)
            .Json;

        Assert.Equal(allocation.ToString(), body["streamId"]!.GetValue<string>());
        Assert.Equal("allocation", body["streamType"]!.GetValue<string>());
        JsonArray events = body["events"]!.AsArray();
        Assert.Equal(events.Count, body["version"]!.GetValue<int>());
        Assert.Equal(
            await fixture.StreamEventTypesAsync(allocation),
            string.Join(',', events.Select(e => e!["type"]!.GetValue<string>()))
        );
        long previousSeq = 0;
        for (int i = 0; i < events.Count; i++)
        {
            await AssertStoredAsync(events[i]!, allocation, version: i + 1);
            long seq = events[i]!["seq"]!.GetValue<long>();
            Assert.True(seq > previousSeq, $"seq {seq} after {previousSeq}");
            previousSeq = seq;
        }
        Assert.Equal("1000", events[^1]!["data"]!["amount"]!["quantity"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_hash_recomputes_from_the_answer_alone_as_docs_hash_chain_says()
    {
        BitGoClient bitgo = fixture.Auditor();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, "eth", "5");
        Guid deallocation = await bitgo.ReserveDeallocationAsync(c, "eth", "2");
        await bitgo.ClearAsync("deallocation", deallocation);

        JsonNode body = (await bitgo.GetAsync($"/api/v1/streams/{deallocation}/events"))
            .AssertStatus(HttpStatusCode.OK)
            .Json;

        byte[] previous = new byte[32]; // version 1 chains to 32 zero bytes
        JsonArray events = body["events"]!.AsArray();
        Assert.True(events.Count >= 3, body.ToJsonString());
        foreach (JsonNode? e in events)
        {
            string canonical = string.Join(
                '\n',
                deallocation.ToString("D"),
                e!["version"]!.GetValue<int>().ToString(CultureInfo.InvariantCulture),
                e["type"]!.GetValue<string>(),
                e["dataText"]!.GetValue<string>(),
                e["metadataText"]!.GetValue<string>(),
                e["recordedAt"]!.GetValue<string>()
            );
            byte[] hash = SHA256.HashData([.. previous, .. Encoding.UTF8.GetBytes(canonical)]);
            Assert.Equal(Convert.ToHexStringLower(hash), e["hash"]!.GetValue<string>());
            previous = hash;
        }
    }

    [Fact]
    public async Task Unknown_stream_is_404_and_appends_nothing()
    {
        long before = await fixture.CountEventsAsync();

        Answer answer = await fixture
            .Auditor()
            .GetAsync($"/api/v1/streams/{Guid.NewGuid()}/events");

        answer.AssertProblemNaming(HttpStatusCode.NotFound, "streamId");
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("not-a-uuid")]
    [InlineData("0f8fad5bd9cb469fa16570867728950e")]
    [InlineData("{0f8fad5b-d9cb-469f-a165-70867728950e}")]
    public async Task Malformed_stream_id_is_400_and_appends_nothing(string streamId)
    {
        long before = await fixture.CountEventsAsync();

        Answer answer = await fixture
            .Auditor()
            .GetAsync($"/api/v1/streams/{Uri.EscapeDataString(streamId)}/events");

        answer.AssertProblemNaming(HttpStatusCode.BadRequest, "streamId");
        Assert.Equal(before, await fixture.CountEventsAsync());
    }

    /// <summary>One event of the answer against its row: every field, the text as stored.</summary>
    private async Task AssertStoredAsync(JsonNode e, Guid streamId, int version)
    {
        Assert.Equal(version, e["version"]!.GetValue<int>());
        long seq = e["seq"]!.GetValue<long>();
        string? row = await fixture.ScalarAsync<string>(
            """
            SELECT type || E'\n' || data::text || E'\n' || metadata::text || E'\n'
                   || encode(hash, 'hex') || E'\n' || (recorded_at = $3::timestamptz)::text
            FROM ledger.events WHERE seq = $1 AND stream_id = $2
            """,
            seq,
            streamId,
            e["recordedAt"]!.GetValue<string>()
        );
        Assert.Equal(
            string.Join(
                '\n',
                e["type"]!.GetValue<string>(),
                e["dataText"]!.GetValue<string>(),
                e["metadataText"]!.GetValue<string>(),
                e["hash"]!.GetValue<string>(),
                "true"
            ),
            row
        );
        Assert.Matches(HexSha256(), e["hash"]!.GetValue<string>());
        Assert.Matches(RecordedAt(), e["recordedAt"]!.GetValue<string>());
        // data and metadata are JSON objects, equal to the text that was hashed.
        Assert.Equal(JsonValueKind.Object, e["data"]!.GetValueKind());
        Assert.Equal(JsonValueKind.Object, e["metadata"]!.GetValueKind());
        Assert.True(
            JsonNode.DeepEquals(JsonNode.Parse(e["dataText"]!.GetValue<string>()), e["data"])
        );
        Assert.True(
            JsonNode.DeepEquals(
                JsonNode.Parse(e["metadataText"]!.GetValue<string>()),
                e["metadata"]
            )
        );
        Assert.False(string.IsNullOrEmpty(e["metadata"]!["actor"]?.GetValue<string>()));
    }

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex HexSha256();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$")]
    private static partial Regex RecordedAt();
}
