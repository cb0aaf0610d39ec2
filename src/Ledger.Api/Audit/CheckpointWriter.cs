using Npgsql;

namespace Ledger.Api.Audit;

/// <summary>
/// Writes a checkpoint: a digest over every stream's head as of a global seq N, with the
/// stream and event counts as of N (docs/hash-chain.md). The digest is computed by
/// PostgreSQL with the SQL the document gives, so audit verify's C# digest checks it
/// independently.
/// </summary>
public sealed class CheckpointWriter(NpgsqlDataSource dataSource)
{
    /// <summary>The digest reads every stream's head: seconds per million events, not the
    /// milliseconds the service's command timeout allows.</summary>
    public const int DigestSecondsMax = 600;

    public const int LockWaitSecondsMax = 5;

    // seq is drawn when an event is inserted, not when its transaction commits: when max(seq)
    // reads N, an append holding a smaller seq may still be in flight, and would join "seq <=
    // N" only after the digest was taken. A later recomputation would then differ for no
    // wrong. SHARE mode conflicts with the ROW EXCLUSIVE lock every inserter holds until it
    // commits, so taking it waits for the appends in flight and holds new ones off for this
    // one instant; once it is granted, every seq <= max(seq) is committed or rolled back for
    // good. The digest is then computed in a fresh snapshot without the lock.
    // Appends queue behind a waiting lock request, so the wait is bounded: behind anything
    // slower than an append (an index build) this checkpoint gives up and the next one tries.
    private const string LockEventsSql = "LOCK TABLE ledger.events IN SHARE MODE";

    private const string MaxSeqSql = "SELECT COALESCE(max(seq), 0) FROM ledger.events";

    private const string LatestAtSeqSql = "SELECT COALESCE(max(at_seq), 0) FROM ledger.checkpoints";

    private const string InsertSql = """
        WITH heads AS (
            SELECT DISTINCT ON (stream_id) stream_id, version, hash
            FROM ledger.events WHERE seq <= $1
            ORDER BY stream_id, version DESC)
        INSERT INTO ledger.checkpoints (at_seq, stream_count, event_count, digest)
        SELECT $1,
               (SELECT count(*) FROM heads),
               (SELECT count(*) FROM ledger.events WHERE seq <= $1),
               (SELECT sha256(string_agg(uuid_send(stream_id) || int4send(version) || hash,
                                         ''::bytea ORDER BY stream_id))
                FROM heads)
        RETURNING id, at_seq, stream_count, event_count, digest, created_at
        """;

    /// <summary>
    /// Writes a checkpoint at the log's current end. Null when the log is empty, or when
    /// <paramref name="onlyIfNew"/> and no event was appended since the latest checkpoint.
    /// </summary>
    public async Task<StoredCheckpoint?> WriteAsync(
        bool onlyIfNew,
        CancellationToken cancellationToken
    )
    {
        long atSeq = await StableHeadAsync(cancellationToken);
        if (atSeq == 0)
        {
            return null;
        }
        if (onlyIfNew)
        {
            await using NpgsqlCommand latest = dataSource.CreateCommand(LatestAtSeqSql);
            if ((long)(await latest.ExecuteScalarAsync(cancellationToken))! >= atSeq)
            {
                return null;
            }
        }
        await using NpgsqlCommand insert = dataSource.CreateCommand(InsertSql);
        insert.CommandTimeout = DigestSecondsMax;
        insert.Parameters.Add(new NpgsqlParameter { Value = atSeq });
        await using NpgsqlDataReader reader = await insert.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("INSERT .. RETURNING returned no checkpoint");
        }
        return new StoredCheckpoint(
            reader.GetInt64(0),
            reader.GetInt64(1),
            reader.GetInt64(2),
            reader.GetInt64(3),
            reader.GetFieldValue<byte[]>(4),
            reader.GetFieldValue<DateTime>(5)
        );
    }

    /// <summary>The highest seq below which no append is still in flight.</summary>
    private async Task<long> StableHeadAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(
            cancellationToken
        );
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(
            cancellationToken
        );
        await LockTimeout.SetLocalAsync(connection, LockWaitSecondsMax, cancellationToken);
        await using (var lockEvents = new NpgsqlCommand(LockEventsSql, connection, transaction))
        {
            await lockEvents.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var maxSeq = new NpgsqlCommand(MaxSeqSql, connection, transaction);
        long atSeq = (long)(await maxSeq.ExecuteScalarAsync(cancellationToken))!;
        await transaction.CommitAsync(cancellationToken);
        return atSeq;
    }
}
