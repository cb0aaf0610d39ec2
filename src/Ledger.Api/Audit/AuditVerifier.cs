using System.Data;
using System.Diagnostics;
using System.Text.Json;
using Ledger.EventStore;
using Npgsql;

namespace Ledger.Api.Audit;

/// <summary>Where verify spent its time; each phase is timed around its own calls.</summary>
public sealed record AuditPhases(
    TimeSpan Read,
    TimeSpan Hash,
    TimeSpan Deserialize,
    TimeSpan Fold,
    TimeSpan Compare
)
{
    public override string ToString() =>
        $"read {Read.TotalSeconds:N2} s (on its own thread), hash {Hash.TotalSeconds:N2} s, "
        + $"deserialize {Deserialize.TotalSeconds:N2} s, fold {Fold.TotalSeconds:N2} s, "
        + $"compare {Compare.TotalSeconds:N2} s";
}

/// <summary>What verify checked and found. Clean only when nothing differs.</summary>
public sealed record AuditResult(
    long Events,
    long Streams,
    long Checkpoints,
    long ViewRows,
    long DiscrepancyCount,
    IReadOnlyList<Discrepancy> Discrepancies,
    TimeSpan Elapsed,
    AuditPhases Phases
)
{
    public bool Clean => DiscrepancyCount == 0;

    public double EventsPerSecond => ProgressMeter.Rate(Events, Elapsed);
}

/// <summary>
/// audit verify: replays every event, recomputes every hash chain and every view in memory,
/// and compares them with the stored hashes, ledger.streams, the live views and every
/// checkpoint. Everything is read in one REPEATABLE READ, READ ONLY transaction, so the log
/// and the views are compared as of one instant while the service keeps appending.
/// </summary>
public sealed class AuditVerifier(
    NpgsqlDataSource dataSource,
    EventTypeRegistry registry,
    TextWriter report,
    TextWriter? progress = null
)
{
    private const string CheckpointsSql = """
        SELECT id, at_seq, stream_count, event_count, digest, created_at
        FROM ledger.checkpoints ORDER BY at_seq, id
        """;

    private TimeSpan _read;
    private long _hash;
    private long _deserialize;
    private long _fold;

    public async Task<AuditResult> VerifyAsync(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var log = new DiscrepancyLog(report);
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(
            cancellationToken
        );
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(
            IsolationLevel.RepeatableRead,
            cancellationToken
        );
        await using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection))
        {
            await readOnly.ExecuteNonQueryAsync(cancellationToken);
        }
        List<StoredCheckpoint> checkpoints = await ReadCheckpointsAsync(
            connection,
            cancellationToken
        );
        using var chain = new ChainVerifier(checkpoints, log);
        var replay = new ProjectionReplay();
        ReplayLog(connection, chain, replay, log, cancellationToken);
        long compareStarted = Stopwatch.GetTimestamp();
        await chain.CompareStreamRowsAsync(connection, cancellationToken);
        var views = new ViewComparer(replay, log);
        await views.CompareAsync(connection, cancellationToken);
        TimeSpan compare = Stopwatch.GetElapsedTime(compareStarted);
        var result = new AuditResult(
            chain.Events,
            chain.Streams,
            checkpoints.Count,
            views.BalancesCompared + views.HoldsCompared + views.ConnectionsCompared,
            log.Count,
            log.Kept,
            clock.Elapsed,
            Phases(compare)
        );
        PrintTotals(result, views);
        return result;
    }

    /// <summary>
    /// The walk, on three threads: one decodes rows off the wire (LogPipeline), one checks the
    /// hash chains (ChainVerifier), and this one decodes JSON and folds the views. The chain
    /// and the views need nothing from each other, so each takes every event in seq order.
    /// </summary>
    private void ReplayLog(
        NpgsqlConnection connection,
        ChainVerifier chain,
        ProjectionReplay replay,
        DiscrepancyLog log,
        CancellationToken cancellationToken
    )
    {
        var meter = new ProgressMeter(progress, "verify");
        var decoder = new EventDecoder(registry);
        using var pipeline = new LogPipeline(LogReader.ForVerify(connection));
        pipeline.Run(
            [
                events => Fold(events, decoder, replay, log, meter),
                events => CheckChains(events, chain),
            ],
            cancellationToken
        );
        _read = pipeline.ReadTime;
        chain.Finish(decoder);
        meter.Done(chain.Events);
    }

    private void Fold(
        IEnumerable<LoggedEvent> events,
        EventDecoder decoder,
        ProjectionReplay replay,
        DiscrepancyLog log,
        ProgressMeter meter
    )
    {
        long count = 0;
        foreach (LoggedEvent e in events)
        {
            long started = Stopwatch.GetTimestamp();
            object? data = Decode(decoder, e, log);
            long decoded = Stopwatch.GetTimestamp();
            if (data is not null)
            {
                replay.Apply(
                    new ReplayEvent(e.Seq, e.StreamId, e.Version, data, e.RecordedAt),
                    log.Add
                );
            }
            _deserialize += decoded - started;
            _fold += Stopwatch.GetTimestamp() - decoded;
            meter.Tick(++count);
        }
    }

    private void CheckChains(IEnumerable<LoggedEvent> events, ChainVerifier chain)
    {
        foreach (LoggedEvent e in events)
        {
            long started = Stopwatch.GetTimestamp();
            chain.Check(e);
            _hash += Stopwatch.GetTimestamp() - started;
        }
    }

    /// <summary>
    /// The event's data as its type, or null (and a discrepancy) when it does not read.
    /// </summary>
    private static object? Decode(EventDecoder decoder, LoggedEvent e, DiscrepancyLog log)
    {
        try
        {
            return decoder.Decode(e.Type, e.Data);
        }
        catch (Exception failure)
            when (failure is JsonException or EventStoreInvariantException or NotSupportedException)
        {
            log.Add(
                Discrepancy.OfEvent(
                    e.StreamId,
                    e.Version,
                    "data",
                    $"a valid {e.Type} event",
                    failure.Message
                )
            );
            return null;
        }
    }

    private static async Task<List<StoredCheckpoint>> ReadCheckpointsAsync(
        NpgsqlConnection connection,
        CancellationToken cancellationToken
    )
    {
        var checkpoints = new List<StoredCheckpoint>();
        await using var command = new NpgsqlCommand(CheckpointsSql, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            checkpoints.Add(
                new StoredCheckpoint(
                    reader.GetInt64(0),
                    reader.GetInt64(1),
                    reader.GetInt64(2),
                    reader.GetInt64(3),
                    reader.GetFieldValue<byte[]>(4),
                    reader.GetFieldValue<DateTime>(5)
                )
            );
        }
        return checkpoints;
    }

    private AuditPhases Phases(TimeSpan compare) =>
        new(_read, Ticks(_hash), Ticks(_deserialize), Ticks(_fold), compare);

    private static TimeSpan Ticks(long stopwatchTicks) =>
        TimeSpan.FromSeconds((double)stopwatchTicks / Stopwatch.Frequency);

    private void PrintTotals(AuditResult result, ViewComparer views)
    {
        report.WriteLine(
            $"checked {result.Events:N0} events in {result.Streams:N0} streams, "
                + $"{result.Checkpoints:N0} checkpoints, {views.BalancesCompared:N0} balances, "
                + $"{views.HoldsCompared:N0} holds, {views.ConnectionsCompared:N0} connections"
        );
        report.WriteLine(
            $"elapsed {result.Elapsed.TotalSeconds:N2} s, {result.EventsPerSecond:N0} events/s "
                + $"({result.Phases})"
        );
        report.WriteLine(
            result.Clean
                ? "verify: everything matches"
                : $"verify: {result.DiscrepancyCount:N0} discrepancies"
        );
    }
}
