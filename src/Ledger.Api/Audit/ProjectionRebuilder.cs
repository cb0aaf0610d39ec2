using System.Data;
using System.Diagnostics;
using Ledger.EventStore;
using Npgsql;

namespace Ledger.Api.Audit;

/// <summary>What a rebuild replayed and wrote, and how long the views were locked.</summary>
public sealed record RebuildResult(
    long Events,
    long CatchUpEvents,
    int Balances,
    int Holds,
    int Connections,
    TimeSpan Elapsed,
    TimeSpan SwapElapsed)
{
    public double EventsPerSecond => ProgressMeter.Rate(Events + CatchUpEvents, Elapsed);

    public override string ToString() =>
        $"rebuilt the views from {Events + CatchUpEvents:N0} events ({CatchUpEvents:N0} caught up "
        + $"under the lock) in {Elapsed.TotalSeconds:N2} s, {EventsPerSecond:N0} events/s: "
        + $"{Balances:N0} balances, {Holds:N0} holds, {Connections:N0} connections; "
        + $"views locked for {SwapElapsed.TotalSeconds:N2} s";
}

/// <summary>
/// projections rebuild: rebuilds every view from the events while the service keeps running,
/// and never lets a reader see a half-built view.
/// <list type="number">
/// <item>The first pass streams the whole log (COPY, one snapshot) into memory, noting which
/// seqs below its highest it did not see: appends still in flight when the snapshot was
/// taken (a seq is drawn at insert, not at commit), or rolled back for good.</item>
/// <item>One short transaction then locks the three views ACCESS EXCLUSIVE, applies the events
/// the first pass missed (above its highest seq, or in its gaps), and replaces every row:
/// DELETE, then COPY. It commits, and readers see the old views or the new, whole.</item>
/// </list>
/// Why these locks. Once the views are locked, an append that has not yet committed cannot
/// commit: its inline projections must write a view, and wait. So every event committed
/// before the lock is granted is caught up, and every later one is applied by its own
/// projection, to the new rows, once the swap commits. Locking ledger.events instead would
/// deadlock with a deallocation, which locks its balance row before it inserts its events.
/// The views are locked in the order appends write them (balances, hold_status, connections).
/// <para>
/// Why DELETE and not TRUNCATE or a rename: TRUNCATE is not MVCC-safe, so a REPEATABLE READ
/// reader whose snapshot predates the swap (audit verify, an auditor's statement) would find
/// the views empty; dropping and renaming tables breaks anything that depends on them by
/// name or oid and needs every constraint and index renamed back. DELETE leaves dead rows for
/// autovacuum, which is the price of both.
/// </para>
/// </summary>
public sealed class ProjectionRebuilder(NpgsqlDataSource dataSource, EventTypeRegistry registry,
    TextWriter? progress = null)
{
    /// <summary>Readers and appends queue behind a waiting lock request, so the wait is bounded.</summary>
    public const int LockWaitSecondsMax = 10;

    private const string LockViewsSql = """
        LOCK TABLE ledger.balances, ledger.hold_status, ledger.connections IN ACCESS EXCLUSIVE MODE
        """;

    private const string CatchUpSql = """
        SELECT seq, stream_id, version, type, data::text, recorded_at
        FROM ledger.events WHERE seq > $1
        UNION ALL
        SELECT e.seq, e.stream_id, e.version, e.type, e.data::text, e.recorded_at
        FROM unnest($2::bigint[], $3::bigint[]) AS gap (low, high)
        JOIN ledger.events e ON e.seq BETWEEN gap.low AND gap.high
        ORDER BY 1
        """;

    private const string DeleteViewsSql = """
        DELETE FROM ledger.balances;
        DELETE FROM ledger.hold_status;
        DELETE FROM ledger.connections;
        """;

    /// <summary>A test seam: runs between the first pass and the swap.</summary>
    internal Func<CancellationToken, Task>? AfterFirstPass { get; init; }

    public async Task<RebuildResult> RebuildAsync(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var replay = new ProjectionReplay();
        var gaps = new SeqGaps();
        await FirstPassAsync(replay, gaps, cancellationToken);
        long firstPassEvents = replay.EventsApplied;
        if (AfterFirstPass is not null)
        {
            await AfterFirstPass(cancellationToken);
        }
        var swapClock = Stopwatch.StartNew();
        await SwapAsync(replay, gaps, cancellationToken);
        var result = new RebuildResult(firstPassEvents, replay.EventsApplied - firstPassEvents,
            replay.Balances.Count, replay.Holds.Count, replay.Connections.Count, clock.Elapsed,
            swapClock.Elapsed);
        return result;
    }

    private async Task FirstPassAsync(ProjectionReplay replay, SeqGaps gaps,
        CancellationToken cancellationToken)
    {
        var meter = new ProgressMeter(progress, "rebuild");
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(
            IsolationLevel.RepeatableRead, cancellationToken);
        using LogReader reader = LogReader.ForReplay(connection);
        while (reader.Read() is { } e)
        {
            cancellationToken.ThrowIfCancellationRequested();
            gaps.Observe(e.Seq);
            replay.Apply(new ReplayEvent(e.Seq, e.StreamId, e.Version, registry.Deserialize(e.Type, e.Data),
                e.RecordedAt));
            meter.Tick(replay.EventsApplied);
        }
        meter.Done(replay.EventsApplied);
    }

    private async Task SwapAsync(ProjectionReplay replay, SeqGaps gaps, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockTimeout.SetLocalAsync(connection, LockWaitSecondsMax, cancellationToken);
        await ExecuteAsync(connection, LockViewsSql, cancellationToken);
        await CatchUpAsync(connection, replay, gaps, cancellationToken);
        await ExecuteAsync(connection, DeleteViewsSql, cancellationToken);
        await ViewWriter.WriteAsync(connection, replay, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task CatchUpAsync(NpgsqlConnection connection, ProjectionReplay replay, SeqGaps gaps,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(CatchUpSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = gaps.HighestSeq });
        command.Parameters.Add(new NpgsqlParameter { Value = gaps.Lows.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = gaps.Highs.ToArray() });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string type = reader.GetString(3);
            replay.Apply(new ReplayEvent(reader.GetInt64(0), reader.GetGuid(1), reader.GetInt32(2),
                registry.Deserialize(type, reader.GetString(4)), reader.GetFieldValue<DateTime>(5)));
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The seqs a pass in seq order did not see below its highest, as ranges.</summary>
    private sealed class SeqGaps
    {
        /// <summary>Each rolled-back append leaves a gap for good; millions means something else.</summary>
        private const int RangesMax = 1_000_000;

        public long HighestSeq { get; private set; }

        public List<long> Lows { get; } = [];

        public List<long> Highs { get; } = [];

        public void Observe(long seq)
        {
            if (seq <= HighestSeq)
            {
                throw new EventStoreInvariantException($"seq {seq} read after seq {HighestSeq}");
            }
            if (seq > HighestSeq + 1)
            {
                if (Lows.Count >= RangesMax)
                {
                    throw new EventStoreInvariantException($"the log has more than {RangesMax} seq gaps");
                }
                Lows.Add(HighestSeq + 1);
                Highs.Add(seq - 1);
            }
            HighestSeq = seq;
        }
    }
}
