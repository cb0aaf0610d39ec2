using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.EventStore;

/// <summary>
/// One transaction against the log. Callers may read and lock their own rows through
/// <see cref="Connection"/> and <see cref="Transaction"/>, queue streams to start or append,
/// and commit. Commit claims every stream first, checking its expected version before any
/// global seq is drawn (as Marten does), then inserts the events and the inline projections'
/// statements and commits, all in one batch. Nothing is durable, and no caller may answer
/// success, before <see cref="CommitAsync"/> returns.
/// </summary>
public sealed class EventSession : IAsyncDisposable
{
    /// <summary>Our streams hold a handful of events; a larger append is a bug.</summary>
    public const int EventsPerAppendMax = 16;

    /// <summary>A settle group is one session (SettleBatcher); a single write touches one stream.</summary>
    public const int StreamsPerSessionMax = 64;

    private const string StartStreamSql = """
        INSERT INTO ledger.streams (id, type, version) VALUES ($1, $2, $3)
        ON CONFLICT (id) DO NOTHING RETURNING 1
        """;

    private const string AdvanceStreamSql = """
        UPDATE ledger.streams SET version = $3, updated_at = now()
        WHERE id = $1 AND version = $2 RETURNING 1
        """;

    // The hash chains to the previous event of the same stream, which an earlier statement of
    // this batch may have inserted; a first event chains from 32 zero bytes, read through the
    // stream row. If that event, or that row, were missing the subquery would be NULL, the
    // STRICT hash function NULL too, and the NOT NULL constraint would abort the append.
    private const string InsertEventSql = """
        INSERT INTO ledger.events (stream_id, version, type, data, metadata, recorded_at, hash)
        VALUES ($1, $2, $3, $4, $5, now(), ledger.event_hash(
            CASE WHEN $2 = 1 THEN (SELECT '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea
                                   FROM ledger.streams WHERE id = $1)
                 ELSE (SELECT hash FROM ledger.events WHERE stream_id = $1 AND version = $2 - 1) END,
            $1, $2, $3, $4, $5, now()))
        """;

    // Set-based (CommitSetBasedAsync): every stream of the session advanced in one statement,
    // and each one's single event inserted in another, chained to its predecessor, which an
    // earlier commit wrote. Each event keeps its own request's metadata.
    private const string AdvanceStreamsSql = """
        UPDATE ledger.streams s SET version = a.next, updated_at = now()
        FROM unnest($1::uuid[], $2::integer[], $3::integer[]) AS a(id, expected, next)
        WHERE s.id = a.id AND s.version = a.expected
        RETURNING 1
        """;

    private const string InsertNextEventsSql = """
        INSERT INTO ledger.events (stream_id, version, type, data, metadata, recorded_at, hash)
        SELECT e.stream_id, e.version, e.type, e.data, e.metadata, now(), ledger.event_hash(
                   p.hash, e.stream_id, e.version, e.type, e.data, e.metadata, now())
        FROM unnest($1::uuid[], $2::integer[], $3::text[], $4::jsonb[], $5::jsonb[])
             WITH ORDINALITY AS e(stream_id, version, type, data, metadata, n)
        LEFT JOIN ledger.events p ON p.stream_id = e.stream_id AND p.version = e.version - 1
        ORDER BY e.n
        """;

    private readonly EventTypeRegistry _registry;
    private readonly IReadOnlyList<IInlineProjection> _projections;
    private readonly EventMetadata _metadata;
    private readonly List<StreamAction> _actions = [];
    private readonly List<NpgsqlBatchCommand> _assumptions = [];
    private readonly List<NpgsqlBatchCommand> _afterClaims = [];
    private readonly Dictionary<EventMetadata, string> _metadataJson = [];
    private bool _committed;

    internal EventSession(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        EventTypeRegistry registry,
        IReadOnlyList<IInlineProjection> projections,
        EventMetadata metadata
    )
    {
        Connection = connection;
        Transaction = transaction;
        _registry = registry;
        _projections = projections;
        _metadata = metadata;
    }

    public NpgsqlConnection Connection { get; }

    public NpgsqlTransaction Transaction { get; }

    /// <summary>Queues a new stream. Commit throws <see cref="StreamAlreadyExistsException"/> if it exists.</summary>
    public void StartStream(Guid streamId, string streamType, IReadOnlyList<object> events) =>
        Queue(new StreamAction(streamId, streamType, ExpectedVersion: 0, events, Metadata: null));

    /// <summary>
    /// Queues an append. Commit throws <see cref="ConcurrencyException"/> unless the stream is at
    /// <paramref name="expectedVersion"/>. Its events carry <paramref name="metadata"/>, or the
    /// session's: appends for several requests can share one commit.
    /// </summary>
    public void Append(
        Guid streamId,
        string streamType,
        int expectedVersion,
        IReadOnlyList<object> events,
        EventMetadata? metadata = null
    )
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expectedVersion, 1);
        Queue(new StreamAction(streamId, streamType, expectedVersion, events, metadata));
    }

    /// <summary>
    /// Sends <paramref name="command"/> after every stream's claim and before the events: a
    /// session appending to many streams locks their projections' shared rows here, in one order.
    /// </summary>
    public void AfterClaims(NpgsqlBatchCommand command)
    {
        ThrowIfCommitted();
        _afterClaims.Add(command);
    }

    /// <summary>
    /// Sends <paramref name="rows"/> first in the commit's batch, as an assumption: any other
    /// number of rows than <paramref name="expectedRows"/> fails the commit with
    /// <see cref="StaleAssumptionException"/>, having written nothing.
    /// </summary>
    public void Assume(NpgsqlBatchCommand rows, int expectedRows, string assumption)
    {
        ThrowIfCommitted();
        _assumptions.Add(GroupSession.Assumed(rows, expectedRows, assumption));
    }

    private void ThrowIfCommitted()
    {
        if (_committed)
        {
            throw new InvalidOperationException("the session has committed");
        }
    }

    /// <summary>
    /// One round trip: the assumptions, then every stream's claim (its version checked in the
    /// server, before any seq is drawn), the events, the projections' statements and the
    /// COMMIT. A statement that fails skips every later one, the COMMIT too, so a lost race or a
    /// stale assumption writes nothing. Each round trip costs a wake-up on both sides on a loaded
    /// machine; a settlement took four here before (docs/benchmarks.md, "Eleventh round").
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNothingToCommit();
        NpgsqlBatchCommand[] claims = [.. _actions.Select(ClaimCommand)];
        List<PendingEvent> pending = [.. _actions.SelectMany(ToPending)];
        var projections = new ProjectionBatch();
        foreach (IInlineProjection projection in _projections)
        {
            projection.Project(pending, projections);
        }
        await ExecuteAsync(
            [],
            claims,
            [.. pending.Select(InsertEventCommand), .. projections.Commands],
            (claim, e) => LostRace(_actions[claim], e),
            cancellationToken
        );
    }

    /// <summary>
    /// Commits as <see cref="CommitAsync"/> does, in a fixed number of statements whatever the
    /// number of streams: every stream advanced by one statement, every event inserted by one,
    /// and the projections' group statements (<see cref="IInlineProjection.ProjectGroup"/>).
    /// For a group of settlements (ADR 0016), where per-row statements cost PostgreSQL most of
    /// its time: each stream must exist and receive exactly one event. A stream not at its
    /// expected version fails the whole commit as a <see cref="ConcurrencyException"/> naming
    /// the session's first stream, not the one that moved: a group runs each member alone then.
    /// </summary>
    public async Task CommitSetBasedAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNothingToCommit();
        if (_actions.Any(a => a.ExpectedVersion == 0 || a.Events.Count != 1))
        {
            throw new InvalidOperationException(
                "a set-based commit appends exactly one event to each existing stream"
            );
        }
        List<PendingEvent> pending = [.. _actions.SelectMany(ToPending)];
        var projections = new ProjectionBatch();
        foreach (IInlineProjection projection in _projections)
        {
            projection.ProjectGroup(pending, projections);
        }
        NpgsqlBatchCommand claims = GroupSession.Assumed(
            new NpgsqlBatchCommand(AdvanceStreamsSql)
            {
                Parameters =
                {
                    new() { Value = _actions.Select(a => a.StreamId).ToArray() },
                    new() { Value = _actions.Select(a => a.ExpectedVersion).ToArray() },
                    new() { Value = _actions.Select(a => a.ExpectedVersion + 1).ToArray() },
                },
            },
            _actions.Count,
            "every stream is at its expected version"
        );
        // The group's plans probe the keys' indexes, as GroupSession's do: with hash joins a
        // summed balance update would read the whole table.
        await ExecuteAsync(
            [.. GroupSession.PlanSettingsSql.Select(sql => new NpgsqlBatchCommand(sql))],
            [claims],
            [InsertEventsCommand(pending), .. projections.Commands],
            (_, e) =>
                new ConcurrencyException(
                    _actions[0].StreamId,
                    "a stream of the set-based commit is not at its expected version",
                    e
                ),
            cancellationToken
        );
    }

    private static Exception LostRace(StreamAction action, PostgresException e) =>
        action.ExpectedVersion == 0
            ? new StreamAlreadyExistsException(action.StreamId)
            : new ConcurrencyException(
                action.StreamId,
                $"stream {action.StreamId} is not at expected version {action.ExpectedVersion}",
                e
            );

    private void ThrowIfNothingToCommit()
    {
        if (_committed || _actions.Count == 0)
        {
            throw new InvalidOperationException("a session commits once, with at least one stream");
        }
    }

    /// <summary>
    /// One batch: <paramref name="settings"/>, the caller's assumptions, the claims, the
    /// caller's statements after them, then <paramref name="writes"/> and the COMMIT. Which
    /// statement failed tells a lost race (<paramref name="lostRace"/>, given the failed
    /// claim's index) from a stale assumption.
    /// </summary>
    private async Task ExecuteAsync(
        IReadOnlyList<NpgsqlBatchCommand> settings,
        NpgsqlBatchCommand[] claims,
        IReadOnlyList<NpgsqlBatchCommand> writes,
        Func<int, PostgresException, Exception> lostRace,
        CancellationToken cancellationToken
    )
    {
        await using var batch = new NpgsqlBatch(Connection, Transaction);
        foreach (
            NpgsqlBatchCommand command in settings
                .Concat(_assumptions)
                .Concat(claims)
                .Concat(_afterClaims)
                .Concat(writes)
        )
        {
            batch.BatchCommands.Add(command);
        }
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        try
        {
            await ProjectionBatch.ExecuteCheckedAsync(batch, cancellationToken);
            _committed = true;
        }
        catch (PostgresException e)
            when (e.SqlState == PostgresErrorCodes.SerializationFailure
                && Array.IndexOf(claims, e.BatchCommand) is int claim and >= 0
            )
        {
            throw lostRace(claim, e);
        }
        catch (PostgresException e)
            when (e.SqlState == PostgresErrorCodes.SerializationFailure
                && e.BatchCommand is { } failed
                && _assumptions.Contains(failed)
            )
        {
            throw new StaleAssumptionException(e.MessageText, e);
        }
        catch (PostgresException e)
            when (e.SqlState == PostgresErrorCodes.UniqueViolation
                && e.ConstraintName is "uq_events_stream_and_version" or "pk_streams"
            )
        {
            // Only the log's own constraints mean a lost race; a unique violation anywhere else
            // (a projection's table) is a bug and stays one.
            throw new ConcurrencyException(
                _actions[0].StreamId,
                $"a racing writer appended first ({e.ConstraintName})",
                e
            );
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Disposing an uncommitted transaction rolls it back; the events never existed.
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }

    private void Queue(StreamAction action)
    {
        if (action.Events.Count is 0 or > EventsPerAppendMax)
        {
            throw new ArgumentOutOfRangeException(
                nameof(action),
                $"an append holds 1-{EventsPerAppendMax} events"
            );
        }
        if (
            _actions.Count >= StreamsPerSessionMax
            || _actions.Any(a => a.StreamId == action.StreamId)
        )
        {
            throw new InvalidOperationException(
                $"a session touches each stream once, and at most {StreamsPerSessionMax}"
            );
        }
        _actions.Add(action);
    }

    /// <summary>
    /// The version check, before any seq is drawn, counted in the server: a stream that exists
    /// (for a new one) or has moved on matches no row, and the commit fails there. A concurrent
    /// writer on the same stream waits on the stream row's lock, then sees the new version.
    /// </summary>
    private static NpgsqlBatchCommand ClaimCommand(StreamAction action) =>
        GroupSession.Assumed(
            action.ExpectedVersion == 0
                ? new NpgsqlBatchCommand(StartStreamSql)
                {
                    Parameters =
                    {
                        new() { Value = action.StreamId },
                        new() { Value = action.StreamType },
                        new() { Value = action.Events.Count },
                    },
                }
                : new NpgsqlBatchCommand(AdvanceStreamSql)
                {
                    Parameters =
                    {
                        new() { Value = action.StreamId },
                        new() { Value = action.ExpectedVersion },
                        new() { Value = action.ExpectedVersion + action.Events.Count },
                    },
                },
            1,
            "the stream is at its expected version"
        );

    private NpgsqlBatchCommand InsertEventCommand(PendingEvent e) =>
        new(InsertEventSql)
        {
            Parameters =
            {
                new() { Value = e.StreamId },
                new() { Value = e.Version },
                new() { Value = e.Type },
                new() { Value = _registry.Serialize(e.Data), NpgsqlDbType = NpgsqlDbType.Jsonb },
                new() { Value = MetadataJson(e.Metadata), NpgsqlDbType = NpgsqlDbType.Jsonb },
            },
        };

    private NpgsqlBatchCommand InsertEventsCommand(IReadOnlyList<PendingEvent> events) =>
        ProjectionBatch.CheckedInServer(
            new NpgsqlBatchCommand(InsertNextEventsSql)
            {
                Parameters =
                {
                    new() { Value = events.Select(e => e.StreamId).ToArray() },
                    new() { Value = events.Select(e => e.Version).ToArray() },
                    new() { Value = events.Select(e => e.Type).ToArray() },
                    new()
                    {
                        Value = events.Select(e => _registry.Serialize(e.Data)).ToArray(),
                        NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
                    },
                    new()
                    {
                        Value = events.Select(e => MetadataJson(e.Metadata)).ToArray(),
                        NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
                    },
                },
            },
            events.Count,
            "a set-based commit inserts every event"
        );

    /// <summary>A session's events share one or a few metadata; each is serialized once.</summary>
    private string MetadataJson(EventMetadata metadata)
    {
        if (!_metadataJson.TryGetValue(metadata, out string? json))
        {
            _metadataJson[metadata] = json = JsonSerializer.Serialize(metadata);
        }
        return json;
    }

    private IEnumerable<PendingEvent> ToPending(StreamAction action) =>
        action.Events.Select(
            (data, i) =>
                new PendingEvent(
                    action.StreamId,
                    action.StreamType,
                    action.ExpectedVersion + i + 1,
                    _registry.AliasOf(data),
                    data,
                    action.Metadata ?? _metadata
                )
        );

    private sealed record StreamAction(
        Guid StreamId,
        string StreamType,
        int ExpectedVersion,
        IReadOnlyList<object> Events,
        EventMetadata? Metadata
    );
}
