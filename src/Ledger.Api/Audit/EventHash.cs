using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Ledger.Api.Audit;

/// <summary>
/// The hash chain of docs/hash-chain.md, computed in C# independently of ledger.event_hash, so
/// that a bug or a rewrite of the SQL function cannot vouch for itself.
/// </summary>
public sealed class EventHash : IDisposable
{
    public const int HashBytes = 32;

    /// <summary>A checkpoint head: uuid_send (16) || int4send (4) || hash (32).</summary>
    public const int HeadBytes = 16 + 4 + HashBytes;

    /// <summary>
    /// "2026-11-21T05:13:29.383138Z": to_char(.., 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"').
    /// </summary>
    public const string RecordedAtFormat = "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'";

    /// <summary>Our events are a few hundred bytes; the buffer grows for anything larger.</summary>
    private const int BufferBytesInitial = 16 * 1024;

    /// <summary>A uuid, an int and a timestamp, as text, fit in this with room to spare.</summary>
    private const int FixedFieldsBytesMax = 128;

    private static readonly byte[] ZeroHash = new byte[HashBytes];

    private byte[] _buffer = new byte[BufferBytesInitial];

    // Reused: a one-shot SHA256.HashData sets up a new digest context per call, which costs
    // more than hashing a few hundred bytes.
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>The previous hash of version 1: 32 zero bytes.</summary>
    public static ReadOnlySpan<byte> Genesis => ZeroHash;

    /// <summary>
    /// SHA-256(previous || UTF-8(stream_id LF version LF type LF data LF metadata LF recorded_at)).
    /// data and metadata must be PostgreSQL's jsonb text (what data::text returns).
    /// </summary>
    public void Compute(
        ReadOnlySpan<byte> previous,
        Guid streamId,
        int version,
        string type,
        string data,
        string metadata,
        DateTime recordedAtUtc,
        Span<byte> destination
    ) =>
        Compute(
            previous,
            streamId,
            version,
            type,
            Encoding.UTF8.GetBytes(data),
            Encoding.UTF8.GetBytes(metadata),
            recordedAtUtc,
            destination
        );

    /// <summary>The same, with data and metadata as the UTF-8 bytes PostgreSQL sends.</summary>
    public void Compute(
        ReadOnlySpan<byte> previous,
        Guid streamId,
        int version,
        string type,
        ReadOnlySpan<byte> data,
        ReadOnlySpan<byte> metadata,
        DateTime recordedAtUtc,
        Span<byte> destination
    )
    {
        if (previous.Length != HashBytes || destination.Length != HashBytes)
        {
            throw new ArgumentException("hashes are 32 bytes");
        }
        if (recordedAtUtc.Kind != DateTimeKind.Utc)
        {
            throw new ArgumentException("recorded_at must be UTC", nameof(recordedAtUtc));
        }
        int needed =
            HashBytes
            + FixedFieldsBytesMax
            + Encoding.UTF8.GetMaxByteCount(type.Length)
            + data.Length
            + metadata.Length;
        if (_buffer.Length < needed)
        {
            _buffer = new byte[needed];
        }
        Span<byte> buffer = _buffer;
        previous.CopyTo(buffer);
        int length = HashBytes;
        length += Format(streamId, buffer[length..]);
        buffer[length++] = (byte)'\n';
        length += Format(version, buffer[length..]);
        buffer[length++] = (byte)'\n';
        length += Encoding.UTF8.GetBytes(type, buffer[length..]);
        buffer[length++] = (byte)'\n';
        data.CopyTo(buffer[length..]);
        length += data.Length;
        buffer[length++] = (byte)'\n';
        metadata.CopyTo(buffer[length..]);
        length += metadata.Length;
        buffer[length++] = (byte)'\n';
        length += FormatRecordedAt(recordedAtUtc, buffer[length..]);
        _sha256.AppendData(buffer[..length]);
        _sha256.GetHashAndReset(destination);
    }

    public void Dispose() => _sha256.Dispose();

    /// <summary>recorded_at as the chain and the export write it.</summary>
    public static string RecordedAtText(DateTime recordedAtUtc) =>
        recordedAtUtc.ToString(RecordedAtFormat, CultureInfo.InvariantCulture);

    /// <summary>
    /// Writes one checkpoint head; the caller feeds heads to SHA-256 in uuid order.
    /// </summary>
    public static void WriteHead(
        Guid streamId,
        int version,
        ReadOnlySpan<byte> hash,
        Span<byte> head
    )
    {
        if (!streamId.TryWriteBytes(head[..16], bigEndian: true, out _))
        {
            throw new ArgumentException("a head is 52 bytes", nameof(head));
        }
        BinaryPrimitives.WriteInt32BigEndian(head[16..20], version);
        hash.CopyTo(head[20..HeadBytes]);
    }

    /// <summary>
    /// PostgreSQL orders uuids by their 16 bytes (memcmp); Guid.CompareTo does not.
    /// </summary>
    public static UInt128 SortKey(Guid streamId)
    {
        Span<byte> bytes = stackalloc byte[16];
        streamId.TryWriteBytes(bytes, bigEndian: true, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static int Format(Guid value, Span<byte> destination) =>
        value.TryFormat(destination, out int written, "D")
            ? written
            : throw new InvalidOperationException("buffer too small for a uuid");

    private static int Format(int value, Span<byte> destination) =>
        value.TryFormat(destination, out int written, default, CultureInfo.InvariantCulture)
            ? written
            : throw new InvalidOperationException("buffer too small for a version");

    private static int FormatRecordedAt(DateTime value, Span<byte> destination) =>
        value.TryFormat(
            destination,
            out int written,
            RecordedAtFormat,
            CultureInfo.InvariantCulture
        )
            ? written
            : throw new InvalidOperationException("buffer too small for recorded_at");
}
