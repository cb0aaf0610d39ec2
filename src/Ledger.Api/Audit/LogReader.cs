using System.Buffers.Binary;
using System.Text;
using Npgsql;

namespace Ledger.Api.Audit;

/// <summary>
/// One row of ledger.events as the audit reads it. Data and metadata are the UTF-8 bytes of
/// PostgreSQL's jsonb text, the very bytes the hash covers, kept as bytes: hashing and JSON
/// decoding both work on UTF-8, so no string is ever made of them. Metadata and hash are read
/// only when verifying.
/// </summary>
public sealed record LoggedEvent(
    long Seq,
    Guid StreamId,
    int Version,
    string Type,
    byte[] Data,
    byte[]? Metadata,
    DateTime RecordedAt,
    byte[]? Hash
);

/// <summary>
/// The whole log in seq order through COPY .. TO STDOUT (FORMAT BINARY): one statement, one
/// snapshot (the caller's transaction), rows decoded as they arrive, never held. COPY is the
/// fastest way out of PostgreSQL (no per-row protocol messages) and takes no parameters,
/// which is why the statements below are fixed text.
/// <para>
/// The binary format is parsed here, from the raw COPY stream, rather than column by column
/// through NpgsqlBinaryExporter: its per-column calls cost more CPU than hashing, decoding and
/// folding an event together. The format (PostgreSQL's "Binary Format" of COPY) is a header,
/// then per row a 16-bit field count and per field a 32-bit length and the value's binary
/// send form, all big-endian; a field count of -1 ends it.
/// </para>
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

    private const int VerifyFields = 8;
    private const int ReplayFields = 6;

    private const int BufferBytesInitial = 256 * 1024;

    /// <summary>An event's data is at most a few KiB; anything near this is corruption.</summary>
    private const int FieldBytesMax = 64 * 1024 * 1024;

    /// <summary>Aliases are few; each is decoded to a string once.</summary>
    private const int AliasesCachedMax = 64;

    /// <summary>"PGCOPY\n\xff\r\n\0": the first 11 bytes of every binary COPY.</summary>
    private static readonly byte[] Signature =
    [
        (byte)'P',
        (byte)'G',
        (byte)'C',
        (byte)'O',
        (byte)'P',
        (byte)'Y',
        (byte)'\n',
        0xFF,
        (byte)'\r',
        (byte)'\n',
        0,
    ];

    /// <summary>timestamptz's binary form counts microseconds from 2000-01-01 UTC.</summary>
    private static readonly DateTime PostgresEpoch = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly NpgsqlRawCopyStream _stream;
    private readonly bool _withMetadataAndHash;
    private readonly List<(byte[] Bytes, string Text)> _aliases = [];
    private byte[] _buffer = new byte[BufferBytesInitial];
    private int _start;
    private int _end;

    private LogReader(NpgsqlRawCopyStream stream, bool withMetadataAndHash)
    {
        _stream = stream;
        _withMetadataAndHash = withMetadataAndHash;
        ReadHeader();
    }

    /// <summary>Every column, for verify.</summary>
    public static LogReader ForVerify(NpgsqlConnection connection) =>
        new(connection.BeginRawBinaryCopy(VerifySql), withMetadataAndHash: true);

    /// <summary>What a projection needs, for rebuild.</summary>
    public static LogReader ForReplay(NpgsqlConnection connection) =>
        new(connection.BeginRawBinaryCopy(ReplaySql), withMetadataAndHash: false);

    /// <summary>The next event, or null after the last.</summary>
    public LoggedEvent? Read()
    {
        Ensure(2);
        short fields = BinaryPrimitives.ReadInt16BigEndian(_buffer.AsSpan(_start));
        _start += 2;
        if (fields == -1)
        {
            // Read the stream to its end, so that the COPY completes rather than being cancelled.
            while (_stream.Read(_buffer, 0, _buffer.Length) > 0) { }
            _start = _end = 0;
            return null;
        }
        if (fields != (_withMetadataAndHash ? VerifyFields : ReplayFields))
        {
            throw new InvalidDataException($"a COPY row has {fields} fields");
        }
        long seq = BinaryPrimitives.ReadInt64BigEndian(Field(8));
        var streamId = new Guid(Field(16), bigEndian: true);
        int version = BinaryPrimitives.ReadInt32BigEndian(Field(4));
        string type = Alias(Field());
        byte[] data = Field().ToArray();
        byte[]? metadata = _withMetadataAndHash ? Field().ToArray() : null;
        DateTime recordedAt = PostgresEpoch.AddTicks(
            BinaryPrimitives.ReadInt64BigEndian(Field(8)) * TimeSpan.TicksPerMicrosecond
        );
        byte[]? hash = _withMetadataAndHash ? Field().ToArray() : null;
        return new LoggedEvent(seq, streamId, version, type, data, metadata, recordedAt, hash);
    }

    public void Dispose() => _stream.Dispose();

    private void ReadHeader()
    {
        Ensure(Signature.Length + 8);
        if (!_buffer.AsSpan(_start, Signature.Length).SequenceEqual(Signature))
        {
            throw new InvalidDataException("COPY did not start with the binary signature");
        }
        _start += Signature.Length + 4;
        int extension = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start));
        _start += 4;
        Ensure(extension);
        _start += extension;
    }

    /// <summary>
    /// The next field's bytes, valid until the next read; NULL is never expected.
    /// </summary>
    private ReadOnlySpan<byte> Field(int expectedLength = -1)
    {
        Ensure(4);
        int length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start));
        _start += 4;
        if (
            length < 0
            || length > FieldBytesMax
            || (expectedLength >= 0 && length != expectedLength)
        )
        {
            throw new InvalidDataException(
                $"a COPY field of {length} bytes where {expectedLength} were expected"
            );
        }
        Ensure(length);
        ReadOnlySpan<byte> field = _buffer.AsSpan(_start, length);
        _start += length;
        return field;
    }

    private string Alias(ReadOnlySpan<byte> bytes)
    {
        foreach ((byte[] known, string text) in _aliases)
        {
            if (bytes.SequenceEqual(known))
            {
                return text;
            }
        }
        string alias = Encoding.UTF8.GetString(bytes);
        if (_aliases.Count < AliasesCachedMax)
        {
            _aliases.Add((bytes.ToArray(), alias));
        }
        return alias;
    }

    /// <summary>
    /// Makes <paramref name="count"/> bytes available at _start, reading more as needed.
    /// </summary>
    private void Ensure(int count)
    {
        if (_end - _start >= count)
        {
            return;
        }
        byte[] target = count > _buffer.Length ? new byte[count] : _buffer;
        Buffer.BlockCopy(_buffer, _start, target, 0, _end - _start);
        _buffer = target;
        _end -= _start;
        _start = 0;
        while (_end < count)
        {
            int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                throw new EndOfStreamException("COPY ended in the middle of a row");
            }
            _end += read;
        }
    }
}
