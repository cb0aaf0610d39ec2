using System.Text.Json;
using Ledger.Api.Hosting;
using Ledger.EventStore;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Ledger.Api.Auditors;

/// <summary>
/// One stored event, as an auditor needs it to recompute the hash chain from this answer alone
/// (docs/hash-chain.md). <c>Data</c> and <c>Metadata</c> are the stored jsonb as JSON, to read;
/// <c>DataText</c> and <c>MetadataText</c> are PostgreSQL's text rendering of the same jsonb,
/// byte for byte what was hashed, because re-serialising JSON may change spacing, key order or
/// escapes. <c>RecordedAt</c> is already in the hashed form: UTC, six fractional digits, "Z".
/// <c>Hash</c> is the stored SHA-256 in lower-case hex.
/// </summary>
public sealed record AuditedEvent(
    long Seq,
    int Version,
    string Type,
    string RecordedAt,
    JsonElement Data,
    JsonElement Metadata,
    string DataText,
    string MetadataText,
    string Hash
);

/// <summary>A stream as stored: its row's type and version, its events in version order.</summary>
public sealed record AuditedStream(
    Guid StreamId,
    string StreamType,
    int Version,
    IReadOnlyList<AuditedEvent> Events
);

/// <summary>
/// GET /api/v1/streams/{streamId}/events. The log exactly as stored, gaps and all: the answer
/// does not check the chain, because finding a broken one is the auditor's job (and
/// <c>audit verify</c>'s), and an answer that failed on it would hide the evidence.
/// </summary>
public static class StreamEventsEndpoint
{
    // One statement, so one snapshot: the stream row and its events always agree. The text
    // renderings are computed here, by the same expressions ledger.event_hash hashes.
    private const string SelectSql = """
        SELECT s.type, s.version, e.seq, e.version, e.type,
               to_char(e.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               e.data::text, e.metadata::text, encode(e.hash, 'hex')
        FROM ledger.streams s
        LEFT JOIN ledger.events e ON e.stream_id = s.id
        WHERE s.id = $1
        ORDER BY e.version
        LIMIT $2
        """;

    /// <summary>The store never writes a longer stream; more is corrupted data.</summary>
    private const int EventsMax = EventStore.EventStore.EventsPerStreamMax;

    /// <summary>SelectSql's event columns start after the stream's type and version.</summary>
    private const int StreamColumns = 2;

    public static async Task<Results<Ok<AuditedStream>, ProblemHttpResult>> HandleAsync(
        string streamId,
        LedgerDatabase database,
        CancellationToken cancellationToken
    )
    {
        if (!Ids.TryParse(streamId, out Guid id))
        {
            return Problems.Invalid("streamId: " + Ids.UuidRule);
        }
        await using NpgsqlCommand command = database.DataSource.CreateCommand(SelectSql);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = EventsMax + 1 });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return Problems.NotFound($"streamId: no stream {id}");
        }
        string type = reader.GetString(0);
        int version = reader.GetInt32(1);
        var events = new List<AuditedEvent>();
        do
        {
            if (!reader.IsDBNull(StreamColumns))
            {
                events.Add(Read(reader));
            }
        } while (await reader.ReadAsync(cancellationToken));
        if (events.Count > EventsMax)
        {
            throw new EventStoreInvariantException($"stream {id} exceeds {EventsMax} events");
        }
        return TypedResults.Ok(new AuditedStream(id, type, version, events));
    }

    private static AuditedEvent Read(NpgsqlDataReader reader)
    {
        const int first = StreamColumns;
        string dataText = reader.GetString(first + 4);
        string metadataText = reader.GetString(first + 5);
        return new AuditedEvent(
            reader.GetInt64(first),
            reader.GetInt32(first + 1),
            reader.GetString(first + 2),
            reader.GetString(first + 3),
            Parse(dataText),
            Parse(metadataText),
            dataText,
            metadataText,
            reader.GetString(first + 6)
        );
    }

    /// <summary>jsonb's text is always valid JSON; the clone outlives the document.</summary>
    private static JsonElement Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
