using System.Data;
using System.Diagnostics;
using Ledger.Domain.Balances;
using Ledger.EventStore;
using Npgsql;

namespace Ledger.Api.Audit;

/// <summary>What a rebuild replayed and changed, and how long the views were locked.</summary>
public sealed record RebuildResult(
    long Events,
    long CatchUpEvents,
    int Balances,
    int Holds,
    int Connections,
    long RowsChanged,
    TimeSpan Elapsed,
    TimeSpan LockedElapsed
)
{
    public double EventsPerSecond => ProgressMeter.Rate(Events + CatchUpEvents, Elapsed);

    public override string ToString() =>
        $"rebuilt the views from {Events + CatchUpEvents:N0} events ({CatchUpEvents:N0} caught up "
        + $"under the lock) in {Elapsed.TotalSeconds:N2} s, {EventsPerSecond:N0} events/s: "
        + $"{Balances:N0} balances, {Holds:N0} holds, {Connections:N0} connections, "
        + $"{RowsChanged:N0} rows changed; views locked for {LockedElapsed.TotalSeconds:N2} s";
}

/// <summary>
/// projections rebuild: rebuilds every view from the events while the service keeps running,
/// and never lets a reader see a half-built view.
/// <list type="number">
/// <item>The first pass streams the whole log (COPY, one snapshot) into memory, noting which
/// seqs below its highest it did not see: appends still in flight when the snapshot was
/// taken (a seq is drawn at insert, not at commit), or rolled back for good.</item>
/// <item>The rebuilt rows are copied into staging tables (temporary, LIKE the views), with no
/// lock held.</item>
/// <item>One full join per view, still with no lock, finds the rows that differ (ViewSync).</item>
/// <item>One transaction locks the three views ACCESS EXCLUSIVE, applies the events the first
/// pass missed (above its highest seq, or in its gaps) and restages the rows they touched,
/// then replaces the differing and touched rows and commits. Readers see the old views or
/// the new ones, whole, never a mixture.</item>
/// </list>
/// Why these locks. Once the views are locked, an append that has not yet committed cannot
/// commit: its inline projections must write a view, and wait. So every event committed
/// before the lock is granted is caught up, and every later one is applied by its own
/// projection, to the new rows, once the swap commits. Locking ledger.events instead would
/// deadlock with a deallocation, which locks its balance row before it inserts its events.
/// The views are locked in the order appends write them (balances, hold_status, connections).
/// <para>
/// Why a sync and not TRUNCATE or a rename. TRUNCATE is not MVCC-safe: a REPEATABLE READ
/// reader whose snapshot predates the swap (audit verify, an auditor's statement) would find
/// the views empty. Dropping and renaming tables breaks whatever refers to them by oid or
/// holds grants on them, and needs every constraint and index renamed back. Rewriting every
/// row under the lock held the views for seconds per million events (appends time out after
/// five); comparing first keeps the locked work to the rows that differ.
/// </para>
/// </summary>
public sealed class ProjectionRebuilder(
    NpgsqlDataSource dataSource,
    EventTypeRegistry registry,
    TextWriter? progress = null
)
{
    /// <summary>
    /// Readers and appends queue behind a waiting lock request, so the wait is bounded.
    /// </summary>
    public const int LockWaitSecondsMax = 10;

    private const string LockViewsSql = """
        LOCK TABLE ledger.balances, ledger.hold_status, ledger.connections IN ACCESS EXCLUSIVE MODE
        """;

    private const string DropStagingSql = """
        DROP TABLE IF EXISTS pg_temp.staged_balances, pg_temp.staged_hold_status,
            pg_temp.staged_connections
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

    /// <summary>A test seam: runs after the rows are staged, before the views are locked.</summary>
    internal Func<CancellationToken, Task>? AfterFirstPass { get; init; }

    public async Task<RebuildResult> RebuildAsync(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var replay = new ProjectionReplay();
        var gaps = new SeqGaps();
        var decoder = new EventDecoder(registry);
        await FirstPassAsync(replay, gaps, decoder, cancellationToken);
        long firstPassEvents = replay.EventsApplied;
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(
            cancellationToken
        );
        try
        {
            await StageAllAsync(connection, replay, cancellationToken);
            ViewKeys differing = await ViewSync.DiffAsync(connection, cancellationToken);
            if (AfterFirstPass is not null)
            {
                await AfterFirstPass(cancellationToken);
            }
            var locked = Stopwatch.StartNew();
            long changed = await SwapAsync(
                connection,
                replay,
                gaps,
                decoder,
                differing,
                cancellationToken
            );
            return new RebuildResult(
                firstPassEvents,
                replay.EventsApplied - firstPassEvents,
                replay.Balances.Count,
                replay.Holds.Count,
                replay.Connections.Count,
                changed,
                clock.Elapsed,
                locked.Elapsed
            );
        }
        finally
        {
            await ExecuteAsync(connection, DropStagingSql, CancellationToken.None);
        }
    }

    private async Task FirstPassAsync(
        ProjectionReplay replay,
        SeqGaps gaps,
        EventDecoder decoder,
        CancellationToken cancellationToken
    )
    {
        var meter = new ProgressMeter(progress, "rebuild");
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(
            cancellationToken
        );
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(
            IsolationLevel.RepeatableRead,
            cancellationToken
        );
        using var pipeline = new LogPipeline(LogReader.ForReplay(connection));
        pipeline.Run(
            [
                events =>
                {
                    foreach (LoggedEvent e in events)
                    {
                        gaps.Observe(e.Seq);
                        object data = decoder.Decode(e.Type, e.Data);
                        replay.Apply(
                            new ReplayEvent(e.Seq, e.StreamId, e.Version, data, e.RecordedAt)
                        );
                        meter.Tick(replay.EventsApplied);
                    }
                },
            ],
            cancellationToken
        );
        meter.Done(replay.EventsApplied);
    }

    private static async Task StageAllAsync(
        NpgsqlConnection connection,
        ProjectionReplay replay,
        CancellationToken cancellationToken
    )
    {
        await ExecuteAsync(connection, DropStagingSql, cancellationToken);
        await ExecuteAsync(connection, ViewWriter.CreateStagingSql, cancellationToken);
        await ViewWriter.StageAsync(
            connection,
            replay.Balances,
            replay.Holds,
            replay.Connections,
            cancellationToken
        );
        await ExecuteAsync(connection, ViewWriter.AnalyzeStagingSql, cancellationToken);
    }

    /// <summary>Under the lock: catch up, restage what the catch-up touched, replace the rows that
    /// differ. Returns the number of view rows replaced.</summary>
    private static async Task<long> SwapAsync(
        NpgsqlConnection connection,
        ProjectionReplay replay,
        SeqGaps gaps,
        EventDecoder decoder,
        ViewKeys differing,
        CancellationToken cancellationToken
    )
    {
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(
            cancellationToken
        );
        await LockTimeout.SetLocalAsync(connection, LockWaitSecondsMax, cancellationToken);
        await ExecuteAsync(connection, LockViewsSql, cancellationToken);
        (HashSet<BalanceKey> balances, HashSet<Guid> streams) = await CatchUpAsync(
            connection,
            replay,
            gaps,
            decoder,
            cancellationToken
        );
        if (balances.Count > 0 || streams.Count > 0)
        {
            await ViewWriter.UnstageAsync(connection, balances, streams, cancellationToken);
            await ViewWriter.StageAsync(
                connection,
                balances.Select(k => KeyValuePair.Create(k, replay.Balances[k])),
                streams
                    .Where(replay.Holds.ContainsKey)
                    .Select(id => KeyValuePair.Create(id, replay.Holds[id])),
                streams
                    .Where(replay.Connections.ContainsKey)
                    .Select(id => KeyValuePair.Create(id, replay.Connections[id])),
                cancellationToken
            );
            differing.Balances.UnionWith(balances.Select(BalanceRowKey.Of));
            differing.Holds.UnionWith(streams.Where(replay.Holds.ContainsKey));
            differing.Connections.UnionWith(streams.Where(replay.Connections.ContainsKey));
        }
        if (differing.Count > 0)
        {
            await ViewSync.ReplaceAsync(connection, differing, cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return differing.Count;
    }

    /// <summary>
    /// Applies the events the first pass missed; returns the balances and streams they touched.
    /// </summary>
    private static async Task<(HashSet<BalanceKey> Balances, HashSet<Guid> Streams)> CatchUpAsync(
        NpgsqlConnection connection,
        ProjectionReplay replay,
        SeqGaps gaps,
        EventDecoder decoder,
        CancellationToken cancellationToken
    )
    {
        var balances = new HashSet<BalanceKey>();
        var streams = new HashSet<Guid>();
        await using var command = new NpgsqlCommand(CatchUpSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = gaps.HighestSeq });
        command.Parameters.Add(new NpgsqlParameter { Value = gaps.Lows.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = gaps.Highs.ToArray() });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            object data = decoder.Decode(reader.GetString(3), reader.GetFieldValue<byte[]>(4));
            var e = new ReplayEvent(
                reader.GetInt64(0),
                reader.GetGuid(1),
                reader.GetInt32(2),
                data,
                reader.GetFieldValue<DateTime>(5)
            );
            replay.Apply(e);
            streams.Add(e.StreamId);
            if (BalanceEffects.Of(data) is { } delta)
            {
                balances.Add(delta.Key);
            }
        }
        return (balances, streams);
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection,
        string sql,
        CancellationToken cancellationToken
    )
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The seqs a pass in seq order did not see below its highest, as ranges.</summary>
    private sealed class SeqGaps
    {
        /// <summary>
        /// Each rolled-back append leaves a gap for good; millions means something else.
        /// </summary>
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
                    throw new EventStoreInvariantException(
                        $"the log has more than {RangesMax} seq gaps"
                    );
                }
                Lows.Add(HighestSeq + 1);
                Highs.Add(seq - 1);
            }
            HighestSeq = seq;
        }
    }
}
