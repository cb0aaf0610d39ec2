using System.Globalization;
using System.Text;
using System.Text.Json;
using Ledger.Api.Audit;
using Npgsql;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// Issue 5: export streams events recorded in [from, to), optionally one client's, with their
/// hashes, as NDJSON or CSV; the file alone suffices to recompute every hash.
/// </summary>
public sealed class ExportTests
{
    private static readonly DateTimeOffset LongAgo = DateTimeOffset.Parse(
        "2000-01-01T00:00:00Z",
        CultureInfo.InvariantCulture
    );

    private static readonly DateTimeOffset FarAhead = DateTimeOffset.Parse(
        "2100-01-01T00:00:00Z",
        CultureInfo.InvariantCulture
    );

    [Fact]
    public async Task Ndjson_export_holds_all_events_in_seq_order_and_each_hash_recomputes_from_it()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        await ledger.CheckpointAsync();

        List<JsonElement> lines = ParseLines(
            await ExportAsync(
                ledger,
                new ExportRequest(LongAgo, FarAhead, null, ExportFormat.Ndjson)
            )
        );

        List<JsonElement> events = [.. lines.Where(l => l.TryGetProperty("seq", out _))];
        Assert.Equal(await ledger.CountAsync("ledger.events"), events.Count);
        Assert.Equal(
            events.Select(e => e.GetProperty("seq").GetInt64()).Order(),
            events.Select(e => e.GetProperty("seq").GetInt64())
        );
        var previous = new Dictionary<string, byte[]>();
        foreach (JsonElement e in events)
        {
            byte[] recomputed = Recompute(e, previous);
            Assert.Equal(e.GetProperty("hash").GetString(), Convert.ToHexStringLower(recomputed));
        }
        Assert.Single(lines, l => l.TryGetProperty("checkpoint", out _));
    }

    [Fact]
    public async Task Client_export_holds_all_events_of_its_streams_even_a_refusal_and_no_others()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        Guid client = ledger.Data.Connection.ClientId;
        // A refusal names no client in its data; the stream's first event does.
        Guid refused = await LedgerData.AllocateAsync(
            ledger.Fixture.BitGo(),
            ledger.Data.Connection with
            {
                PartnersConnectionId = "wrong",
            },
            "5"
        );

        List<JsonElement> lines = ParseLines(
            await ExportAsync(
                ledger,
                new ExportRequest(LongAgo, FarAhead, client, ExportFormat.Ndjson)
            )
        );

        long expected = await ledger.ScalarAsync<long>(
            """
            SELECT count(*) FROM ledger.events WHERE stream_id IN
                (SELECT stream_id FROM ledger.events WHERE version = 1 AND data->>'clientId' = $1)
            """,
            client.ToString("D")
        );
        Assert.Equal(expected, lines.Count);
        Assert.Contains(
            lines,
            l =>
                l.GetProperty("streamId").GetString() == refused.ToString("D")
                && l.GetProperty("type").GetString() == "allocation_rejected"
        );
        Assert.DoesNotContain(
            lines,
            l =>
                l.GetProperty("streamId").GetString()
                == ledger.Data.Deactivated.ConnectionId.ToString("D")
        );
    }

    [Fact]
    public async Task Export_holds_events_recorded_at_from_and_none_recorded_at_to()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        DateTime first = (
            await ledger.ScalarAsync<DateTime>(
                "SELECT recorded_at FROM ledger.events ORDER BY seq LIMIT 1"
            )
        )!;
        DateTime last = (
            await ledger.ScalarAsync<DateTime>("SELECT max(recorded_at) FROM ledger.events")
        )!;

        List<JsonElement> lines = ParseLines(
            await ExportAsync(
                ledger,
                new ExportRequest(
                    new DateTimeOffset(first),
                    new DateTimeOffset(last),
                    null,
                    ExportFormat.Ndjson
                )
            )
        );

        long expected = await ledger.ScalarAsync<long>(
            "SELECT count(*) FROM ledger.events WHERE recorded_at >= $1 AND recorded_at < $2",
            first,
            last
        );
        Assert.Equal(expected, lines.Count);
        Assert.Contains(lines, l => RecordedAt(l) == EventHash.RecordedAtText(first));
        Assert.DoesNotContain(lines, l => RecordedAt(l) == EventHash.RecordedAtText(last));
    }

    [Fact]
    public async Task Csv_export_has_a_header_and_quotes_data_and_metadata_as_stored()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();

        string csv = await ExportAsync(
            ledger,
            new ExportRequest(LongAgo, FarAhead, null, ExportFormat.Csv)
        );

        string[] rows = csv.TrimEnd('\n').Split('\n');
        Assert.Equal("seq,stream_id,version,type,recorded_at,data,metadata,hash", rows[0]);
        Assert.Equal(await ledger.CountAsync("ledger.events"), rows.Length - 1);
        string[] firstRow = ParseCsvRow(rows[1]);
        Assert.Equal(8, firstRow.Length);
        Assert.Equal(
            await ledger.ScalarAsync<string>(
                "SELECT data::text FROM ledger.events WHERE seq = $1",
                long.Parse(firstRow[0], CultureInfo.InvariantCulture)
            ),
            firstRow[5]
        );
        Assert.Equal(
            await ledger.ScalarAsync<string>(
                "SELECT encode(hash, 'hex') FROM ledger.events WHERE seq = $1",
                long.Parse(firstRow[0], CultureInfo.InvariantCulture)
            ),
            firstRow[7]
        );
    }

    private static async Task<string> ExportAsync(AuditLedger ledger, ExportRequest request)
    {
        await using NpgsqlDataSource dataSource = ledger.DataSource();
        using var output = new MemoryStream();
        await new EventExporter(dataSource).ExportAsync(request, output, CancellationToken.None);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static string? RecordedAt(JsonElement line) =>
        line.GetProperty("recordedAt").GetString();

    private static List<JsonElement> ParseLines(string ndjson) =>
        [
            .. ndjson
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => JsonDocument.Parse(line).RootElement),
        ];

    /// <summary>
    /// docs/hash-chain.md from the line's fields alone, data and metadata as written.
    /// </summary>
    private static byte[] Recompute(JsonElement e, Dictionary<string, byte[]> previous)
    {
        string streamId = e.GetProperty("streamId").GetString()!;
        int version = e.GetProperty("version").GetInt32();
        byte[] prior = version == 1 ? new byte[EventHash.HashBytes] : previous[streamId];
        DateTime recordedAt = DateTime.ParseExact(
            e.GetProperty("recordedAt").GetString()!,
            EventHash.RecordedAtFormat,
            CultureInfo.InvariantCulture,
            DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal
        );
        byte[] hash = new byte[EventHash.HashBytes];
        using var hasher = new EventHash();
        hasher.Compute(
            prior,
            Guid.Parse(streamId),
            version,
            e.GetProperty("type").GetString()!,
            e.GetProperty("data").GetRawText(),
            e.GetProperty("metadata").GetRawText(),
            recordedAt,
            hash
        );
        previous[streamId] = hash;
        return hash;
    }

    /// <summary>
    /// RFC 4180 fields of one row: quoted fields may hold commas and doubled quotes.
    /// </summary>
    private static string[] ParseCsvRow(string row)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < row.Length; i++)
        {
            char c = row[i];
            if (quoted && c == '"' && i + 1 < row.Length && row[i + 1] == '"')
            {
                field.Append('"');
                i++;
            }
            else if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }
        fields.Add(field.ToString());
        return [.. fields];
    }
}
