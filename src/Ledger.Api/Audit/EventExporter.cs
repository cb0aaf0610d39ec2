using System.Data;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace Ledger.Api.Audit;

public enum ExportFormat
{
    Ndjson,
    Csv,
}

/// <summary>Events recorded in [From, To), optionally only one client's streams.</summary>
public sealed record ExportRequest(
    DateTimeOffset From,
    DateTimeOffset To,
    Guid? ClientId,
    ExportFormat Format
);

/// <summary>
/// export: streams events with their hashes, in seq order, to a stream, in constant memory:
/// each row is written as it arrives from the server and nothing is collected. Data and
/// metadata are PostgreSQL's jsonb text, byte for byte what the hash covers, and recordedAt
/// is written as the chain writes it, so the file alone lets an auditor recompute every hash
/// (docs/hash-chain.md). NDJSON ends with the checkpoints taken in the same period.
/// <para>
/// A client's export holds every event of the streams whose first event names the client
/// (its connections and its holds), so a rejection, whose data names no client, is included.
/// </para>
/// </summary>
public sealed class EventExporter(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        SELECT e.seq, e.stream_id, e.version, e.type, e.data::text, e.metadata::text,
               e.recorded_at, e.hash
        FROM ledger.events e
        """;

    private const string AllSql =
        Columns
        + """

            WHERE e.recorded_at >= $1 AND e.recorded_at < $2
            ORDER BY e.seq
            """;

    // ix_events_client_seq finds the client's first events; the stream's others follow by
    // uq_events_stream_and_version.
    private const string ClientSql =
        Columns
        + """

            WHERE e.recorded_at >= $1 AND e.recorded_at < $2
              AND e.stream_id IN (SELECT f.stream_id FROM ledger.events f
                                  WHERE f.data->>'clientId' = $3 AND f.version = 1)
            ORDER BY e.seq
            """;

    private const string CheckpointsSql = """
        SELECT id, at_seq, stream_count, event_count, digest, created_at
        FROM ledger.checkpoints WHERE created_at >= $1 AND created_at < $2 ORDER BY id
        """;

    private const string CsvHeader = "seq,stream_id,version,type,recorded_at,data,metadata,hash\n";

    private static readonly byte[] NewLine = [(byte)'\n'];

    /// <summary>Writes the export and returns the number of events written.</summary>
    public async Task<long> ExportAsync(
        ExportRequest request,
        Stream output,
        CancellationToken cancellationToken
    )
    {
        if (request.To <= request.From)
        {
            throw new ArgumentException("--to must be after --from", nameof(request));
        }
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(
            cancellationToken
        );
        // One snapshot, so the checkpoints and the events agree.
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(
            IsolationLevel.RepeatableRead,
            cancellationToken
        );
        long events =
            request.Format == ExportFormat.Ndjson
                ? await WriteNdjsonAsync(connection, request, output, cancellationToken)
                : await WriteCsvAsync(connection, request, output, cancellationToken);
        await output.FlushAsync(cancellationToken);
        return events;
    }

    private static async Task<long> WriteNdjsonAsync(
        NpgsqlConnection connection,
        ExportRequest request,
        Stream output,
        CancellationToken cancellationToken
    )
    {
        await using var json = new Utf8JsonWriter(output);
        long events = await ReadEventsAsync(
            connection,
            request,
            e =>
            {
                WriteEventObject(json, e);
                EndLine(json, output);
            },
            cancellationToken
        );
        await using var command = new NpgsqlCommand(CheckpointsSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = request.From.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter { Value = request.To.ToUniversalTime() });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            WriteCheckpointObject(json, reader);
            EndLine(json, output);
        }
        return events;
    }

    private static void WriteEventObject(Utf8JsonWriter json, LoggedEvent e)
    {
        json.WriteStartObject();
        json.WriteNumber("seq", e.Seq);
        json.WriteString("streamId", e.StreamId.ToString("D"));
        json.WriteNumber("version", e.Version);
        json.WriteString("type", e.Type);
        json.WriteString("recordedAt", EventHash.RecordedAtText(e.RecordedAt));
        // Raw, so the bytes are PostgreSQL's rendering: keys in jsonb order, ", " and ": ".
        json.WritePropertyName("data");
        json.WriteRawValue(e.Data, skipInputValidation: true);
        json.WritePropertyName("metadata");
        json.WriteRawValue(e.Metadata!, skipInputValidation: true);
        json.WriteString("hash", Convert.ToHexStringLower(e.Hash!));
        json.WriteEndObject();
    }

    private static void WriteCheckpointObject(Utf8JsonWriter json, NpgsqlDataReader reader)
    {
        json.WriteStartObject();
        json.WriteStartObject("checkpoint");
        json.WriteNumber("id", reader.GetInt64(0));
        json.WriteNumber("atSeq", reader.GetInt64(1));
        json.WriteNumber("streamCount", reader.GetInt64(2));
        json.WriteNumber("eventCount", reader.GetInt64(3));
        json.WriteString("digest", Convert.ToHexStringLower(reader.GetFieldValue<byte[]>(4)));
        json.WriteString("createdAt", EventHash.RecordedAtText(reader.GetFieldValue<DateTime>(5)));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>One JSON document per line: flush the writer, end the line, start afresh.</summary>
    private static void EndLine(Utf8JsonWriter json, Stream output)
    {
        json.Flush();
        output.Write(NewLine);
        json.Reset(output);
    }

    private static async Task<long> WriteCsvAsync(
        NpgsqlConnection connection,
        ExportRequest request,
        Stream output,
        CancellationToken cancellationToken
    )
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true)
        {
            NewLine = "\n",
        };
        await writer.WriteAsync(CsvHeader);
        long events = await ReadEventsAsync(
            connection,
            request,
            e =>
            {
                writer.Write(e.Seq.ToString(CultureInfo.InvariantCulture));
                writer.Write(',');
                writer.Write(e.StreamId.ToString("D"));
                writer.Write(',');
                writer.Write(e.Version.ToString(CultureInfo.InvariantCulture));
                writer.Write(',');
                writer.Write(e.Type);
                writer.Write(',');
                writer.Write(EventHash.RecordedAtText(e.RecordedAt));
                writer.Write(',');
                WriteQuoted(writer, Encoding.UTF8.GetString(e.Data));
                writer.Write(',');
                WriteQuoted(writer, Encoding.UTF8.GetString(e.Metadata!));
                writer.Write(',');
                writer.Write(Convert.ToHexStringLower(e.Hash!));
                writer.Write('\n');
            },
            cancellationToken
        );
        await writer.FlushAsync(cancellationToken);
        return events;
    }

    /// <summary>RFC 4180: the field in double quotes, each double quote doubled.</summary>
    private static void WriteQuoted(TextWriter writer, string value)
    {
        writer.Write('"');
        writer.Write(value.Replace("\"", "\"\"", StringComparison.Ordinal));
        writer.Write('"');
    }

    private static async Task<long> ReadEventsAsync(
        NpgsqlConnection connection,
        ExportRequest request,
        Action<LoggedEvent> write,
        CancellationToken cancellationToken
    )
    {
        await using var command = new NpgsqlCommand(
            request.ClientId is null ? AllSql : ClientSql,
            connection
        );
        command.Parameters.Add(new NpgsqlParameter { Value = request.From.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter { Value = request.To.ToUniversalTime() });
        if (request.ClientId is { } clientId)
        {
            // The key as System.Text.Json writes a Guid into event data: lower-case, hyphenated.
            command.Parameters.Add(new NpgsqlParameter { Value = clientId.ToString("D") });
        }
        long events = 0;
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(
            CommandBehavior.SequentialAccess,
            cancellationToken
        );
        while (await reader.ReadAsync(cancellationToken))
        {
            write(
                new LoggedEvent(
                    reader.GetInt64(0),
                    reader.GetGuid(1),
                    reader.GetInt32(2),
                    reader.GetString(3),
                    reader.GetFieldValue<byte[]>(4),
                    reader.GetFieldValue<byte[]>(5),
                    reader.GetFieldValue<DateTime>(6),
                    reader.GetFieldValue<byte[]>(7)
                )
            );
            events++;
        }
        return events;
    }
}
