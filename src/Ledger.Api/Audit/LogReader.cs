using Npgsql;
using NpgsqlTypes;

namespace Ledger.Api.Audit;

/// <summary>
/// One row of ledger.events as the audit reads it: data and metadata as PostgreSQL's jsonb
/// text, the very bytes the hash covers. Metadata and hash are read only when verifying.
/// </summary>
public sealed record LoggedEvent(long Seq, Guid StreamId, int Version, string Type, string Data,
    string? Metadata, DateTime RecordedAt, byte[]? Hash);

/// <summary>
/// The whole log in seq order through COPY .. TO STDOUT (FORMAT BINARY): one statement, one
/// snapshot (the caller's transaction), rows decoded as they arrive, never held. COPY is the
/// fastest way out of PostgreSQL (no per-row protocol messages) and takes no parameters,
/// which is why the statements below are fixed text.
/// </summary>
public sealed class LogReader : IDisposable
{
    private const string VerifySql = """
        COPY (SELECT seq, stream_id, version, type, data::text, metadata::text, recorded_at, hash
              FROM ledger.events ORDER BY seq) TO STDOUT (FORMAT BINARY)
        """;

    private const string ReplaySql = """
        COPY (SELECT seq, stream_id, version, type, data::text, recorded_at
              FROM ledger.events ORDER BY seq) TO STDOUT (FORMAT BINARY)
        """;

    private readonly NpgsqlBinaryExporter _exporter;
    private readonly bool _withMetadataAndHash;

    private LogReader(NpgsqlBinaryExporter exporter, bool withMetadataAndHash)
    {
        _exporter = exporter;
        _withMetadataAndHash = withMetadataAndHash;
    }

    /// <summary>Every column, for verify.</summary>
    public static LogReader ForVerify(NpgsqlConnection connection) =>
        new(connection.BeginBinaryExport(VerifySql), withMetadataAndHash: true);

    /// <summary>What a projection needs, for rebuild.</summary>
    public static LogReader ForReplay(NpgsqlConnection connection) =>
        new(connection.BeginBinaryExport(ReplaySql), withMetadataAndHash: false);

    /// <summary>The next event, or null after the last.</summary>
    public LoggedEvent? Read()
    {
        if (_exporter.StartRow() < 0)
        {
            return null;
        }
        long seq = _exporter.Read<long>(NpgsqlDbType.Bigint);
        Guid streamId = _exporter.Read<Guid>(NpgsqlDbType.Uuid);
        int version = _exporter.Read<int>(NpgsqlDbType.Integer);
        string type = _exporter.Read<string>(NpgsqlDbType.Text);
        string data = _exporter.Read<string>(NpgsqlDbType.Text);
        string? metadata = _withMetadataAndHash ? _exporter.Read<string>(NpgsqlDbType.Text) : null;
        DateTime recordedAt = _exporter.Read<DateTime>(NpgsqlDbType.TimestampTz);
        byte[]? hash = _withMetadataAndHash ? _exporter.Read<byte[]>(NpgsqlDbType.Bytea) : null;
        return new LoggedEvent(seq, streamId, version, type, data, metadata, recordedAt, hash);
    }

    public void Dispose() => _exporter.Dispose();
}
