using System.Security.Cryptography;
using Npgsql;

namespace Ledger.Api.Audit;

/// <summary>A row of ledger.checkpoints.</summary>
public sealed record StoredCheckpoint(
    long Id,
    long AtSeq,
    long StreamCount,
    long EventCount,
    byte[] Digest,
    DateTime CreatedAt
);

/// <summary>
/// Walks the log in seq order and checks, per stream: versions run 1, 2, 3.. in seq order;
/// each stored hash equals the one recomputed in C#; and, as the walk passes each checkpoint's
/// at_seq, the digest over every stream's head. Afterwards it compares ledger.streams.
/// <para>
/// Each hash is recomputed from the previous event's recomputed hash, never the stored one
/// (docs/hash-chain.md), so a stored hash rewritten to match changed data still shows. In a
/// sound log the previous event in seq order is the previous version; where they differ the
/// version check has already reported it.
/// </para>
/// </summary>
internal sealed class ChainVerifier(IReadOnlyList<StoredCheckpoint> checkpoints, DiscrepancyLog log)
    : IDisposable
{
    private const string StreamsSql = "SELECT id, type, version FROM ledger.streams";

    private readonly Dictionary<Guid, StreamChain> _streams = [];
    private readonly EventHash _hasher = new();
    private readonly byte[] _computed = new byte[EventHash.HashBytes];
    private int _nextCheckpoint;

    public long Events { get; private set; }

    public int Streams => _streams.Count;

    public void Check(LoggedEvent e)
    {
        VerifyCheckpointsBefore(e.Seq);
        if (!_streams.TryGetValue(e.StreamId, out StreamChain? chain))
        {
            chain = new StreamChain(e.StreamId, e.Type);
            _streams.Add(e.StreamId, chain);
        }
        if (e.Version != chain.LastVersion + 1)
        {
            log.Add(
                Discrepancy.OfEvent(
                    e.StreamId,
                    e.Version,
                    "version",
                    $"{chain.LastVersion + 1}",
                    $"{e.Version}"
                )
            );
        }
        ReadOnlySpan<byte> previous = chain.LastVersion == 0 ? EventHash.Genesis : chain.Expected;
        _hasher.Compute(
            previous,
            e.StreamId,
            e.Version,
            e.Type,
            e.Data,
            e.Metadata,
            e.RecordedAt,
            _computed
        );
        if (!_computed.AsSpan().SequenceEqual(e.Hash))
        {
            log.Add(
                Discrepancy.OfEvent(
                    e.StreamId,
                    e.Version,
                    "hash",
                    Convert.ToHexStringLower(_computed),
                    Convert.ToHexStringLower(e.Hash!)
                )
            );
        }
        _computed.CopyTo(chain.Expected, 0);
        chain.LastVersion = e.Version;
        chain.Count++;
        if (e.Version > chain.HeadVersion)
        {
            chain.HeadVersion = e.Version;
            chain.HeadHash = e.Hash!;
        }
        Events++;
    }

    public void Dispose() => _hasher.Dispose();

    /// <summary>
    /// Checks the checkpoints at or beyond the log's end against the whole log, and names each
    /// stream's type after its first event's, through the types the decoder resolved.
    /// </summary>
    public void Finish(EventDecoder decoder)
    {
        VerifyCheckpointsBefore(long.MaxValue);
        foreach (StreamChain chain in _streams.Values)
        {
            chain.Kind = decoder.TypeOf(chain.FirstType) is { } type ? StreamKinds.Of(type) : null;
        }
    }

    /// <summary>
    /// Each stream row must match its events: type, and version = number of events.
    /// </summary>
    public async Task CompareStreamRowsAsync(
        NpgsqlConnection connection,
        CancellationToken cancellationToken
    )
    {
        var seen = new HashSet<Guid>();
        await using (var command = new NpgsqlCommand(StreamsSql, connection))
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                Guid id = reader.GetGuid(0);
                seen.Add(id);
                CompareStreamRow(id, reader.GetString(1), reader.GetInt32(2));
            }
        }
        foreach (StreamChain chain in _streams.Values.Where(c => !seen.Contains(c.Id)))
        {
            log.Add(
                Discrepancy.OfStream(
                    chain.Id,
                    "row",
                    $"a ledger.streams row at version {chain.Count}",
                    Discrepancy.None
                )
            );
        }
    }

    private void CompareStreamRow(Guid id, string type, int version)
    {
        if (!_streams.TryGetValue(id, out StreamChain? chain))
        {
            log.Add(
                Discrepancy.OfStream(
                    id,
                    "row",
                    "none (the log holds no event of it)",
                    $"a row at version {version}"
                )
            );
            return;
        }
        if (chain.Kind is not null && chain.Kind != type)
        {
            log.Add(Discrepancy.OfStream(id, "type", chain.Kind, type));
        }
        if (chain.Count != version)
        {
            log.Add(
                Discrepancy.OfStream(
                    id,
                    "version",
                    $"{chain.Count} (events in the log)",
                    $"{version}"
                )
            );
        }
    }

    private void VerifyCheckpointsBefore(long seq)
    {
        while (_nextCheckpoint < checkpoints.Count && checkpoints[_nextCheckpoint].AtSeq < seq)
        {
            VerifyCheckpoint(checkpoints[_nextCheckpoint]);
            _nextCheckpoint++;
        }
    }

    /// <summary>
    /// SHA-256 over every head (uuid_send(stream_id) || int4send(version) || hash) in uuid
    /// order, as docs/hash-chain.md defines it. Every event read so far has seq &lt;= at_seq.
    /// </summary>
    private void VerifyCheckpoint(StoredCheckpoint checkpoint)
    {
        StreamChain[] heads = [.. _streams.Values];
        UInt128[] keys = [.. heads.Select(h => EventHash.SortKey(h.Id))];
        Array.Sort(keys, heads);
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> head = stackalloc byte[EventHash.HeadBytes];
        foreach (StreamChain chain in heads)
        {
            EventHash.WriteHead(chain.Id, chain.HeadVersion, chain.HeadHash, head);
            digest.AppendData(head);
        }
        byte[] computed = digest.GetHashAndReset();
        Compare(checkpoint, "stream_count", heads.Length, checkpoint.StreamCount);
        Compare(checkpoint, "event_count", Events, checkpoint.EventCount);
        if (!computed.AsSpan().SequenceEqual(checkpoint.Digest))
        {
            log.Add(
                Discrepancy.OfCheckpoint(
                    checkpoint.Id,
                    checkpoint.AtSeq,
                    "digest",
                    Convert.ToHexStringLower(computed),
                    Convert.ToHexStringLower(checkpoint.Digest)
                )
            );
        }
    }

    private void Compare(StoredCheckpoint checkpoint, string field, long expected, long found)
    {
        if (expected != found)
        {
            log.Add(
                Discrepancy.OfCheckpoint(
                    checkpoint.Id,
                    checkpoint.AtSeq,
                    field,
                    $"{expected}",
                    $"{found}"
                )
            );
        }
    }

    /// <summary>What the walk knows of one stream.</summary>
    private sealed class StreamChain(Guid id, string firstType)
    {
        public Guid Id { get; } = id;

        /// <summary>The alias of its first event in seq order.</summary>
        public string FirstType { get; } = firstType;

        /// <summary>The stream type its first event implies; null while unknown.</summary>
        public string? Kind { get; set; }

        /// <summary>The version of the stream's last event in seq order.</summary>
        public int LastVersion { get; set; }

        /// <summary>The recomputed hash of that event: the next one chains to it.</summary>
        public byte[] Expected { get; } = new byte[EventHash.HashBytes];

        public int Count { get; set; }

        /// <summary>The highest version read, and its stored hash: the checkpoint's head.</summary>
        public int HeadVersion { get; set; }

        public byte[] HeadHash { get; set; } = [];
    }
}
