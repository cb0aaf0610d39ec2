using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.EventStore;

/// <summary>A new stream a group claims: its id, its type and the version its events reach.</summary>
public sealed record NewStream(Guid Id, string Type, int Version);

/// <summary>
/// Statements that ride in the claim's round trip, after the claim, and how to read their
/// results: the reader arrives positioned on the first of them.
/// </summary>
public sealed record AlongsideReads(
    IReadOnlyList<NpgsqlBatchCommand> Commands,
    Func<NpgsqlDataReader, CancellationToken, Task> ReadAsync
);

/// <summary>
/// One transaction that starts many new streams, each with the metadata of its own request:
/// group commit (ADR 0010). It claims every stream in one statement, in id order, and reports
/// which it won: an id already taken is no error here, it is the caller's duplicate or a racing
/// retry, answered from the stored stream. The caller may then read and lock its own rows on
/// <see cref="Connection"/> and <see cref="Transaction"/>, start each claimed stream, and
/// commit. Events are written with the same hash chain and the same inline projections as
/// <see cref="EventSession"/>; nothing is durable, and no caller may answer, before
/// <see cref="CommitAsync"/> returns.
/// </summary>
/// <remarks>
/// Every statement has fixed text, whatever the group's size (arrays, not one statement per
/// row), so each is prepared once per pooled connection and then only bound and run: parsing
/// and planning were a third of PostgreSQL's time per request (docs/benchmarks.md).
/// </remarks>
public sealed class GroupSession : IAsyncDisposable
{
    /// <summary>A group is one batch of requests; the API's batcher stays far below this.</summary>
    public const int StreamsPerGroupMax = 1_024;

    // A group's statements run with arrays of any length, so PostgreSQL's custom plans would
    // be made afresh for almost every group (planning cost more than running the connection
    // read). The statements are simple key lookups and inserts; one generic plan serves all.
    private const string GenericPlansSql = "SET LOCAL plan_cache_mode = force_generic_plan";

    // Sorted by id, so two groups claiming overlapping ids take the unique index's locks in one
    // order and cannot deadlock on them. ON CONFLICT DO NOTHING waits for a racing inserter of
    // the same id, so an id missing from RETURNING is one a committed stream already holds.
    private const string ClaimSql = """
        INSERT INTO ledger.streams (id, type, version)
        SELECT id, type, version FROM unnest($1::uuid[], $2::text[], $3::integer[]) AS s(id, type, version)
        ORDER BY id
        ON CONFLICT (id) DO NOTHING
        RETURNING id
        """;

    // One statement per version level. The first level chains from 32 zero bytes; each later
    // level joins the previous level's rows, which an earlier statement of the same batch
    // inserted (a statement cannot see its own rows). A missing predecessor leaves the hash
    // NULL (ledger.event_hash is STRICT) and the NOT NULL constraint aborts the group, as in
    // EventSession. ledger.event_hash stays the single source of the hash. WITH ORDINALITY
    // keeps the caller's order, so seq follows the order the requests were decided in.
    private const string InsertFirstLevelSql = """
        INSERT INTO ledger.events (stream_id, version, type, data, metadata, recorded_at, hash)
        SELECT e.stream_id, 1, e.type, e.data, e.metadata, now(), ledger.event_hash(
                   '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea,
                   e.stream_id, 1, e.type, e.data, e.metadata, now())
        FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[])
             WITH ORDINALITY AS e(stream_id, type, data, metadata, n)
        ORDER BY e.n
        """;

    private const string InsertNextLevelSql = """
        INSERT INTO ledger.events (stream_id, version, type, data, metadata, recorded_at, hash)
        SELECT e.stream_id, $2, e.type, e.data, e.metadata, now(), ledger.event_hash(
                   p.hash, e.stream_id, $2, e.type, e.data, e.metadata, now())
        FROM unnest($1::uuid[], $3::text[], $4::jsonb[], $5::jsonb[])
             WITH ORDINALITY AS e(stream_id, type, data, metadata, n)
        LEFT JOIN ledger.events p ON p.stream_id = e.stream_id AND p.version = $2 - 1
        ORDER BY e.n
        """;

    private readonly EventTypeRegistry _registry;
    private readonly IReadOnlyList<IInlineProjection> _projections;
    private readonly Dictionary<Guid, NewStream> _claimed = [];
    private readonly List<StartedStream> _started = [];
    private bool _claimedOnce;
    private bool _committed;

    internal GroupSession(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        EventTypeRegistry registry,
        IReadOnlyList<IInlineProjection> projections
    )
    {
        Connection = connection;
        Transaction = transaction;
        _registry = registry;
        _projections = projections;
    }

    public NpgsqlConnection Connection { get; }

    public NpgsqlTransaction Transaction { get; }

    /// <summary>
    /// Claims the new streams in one statement, with <paramref name="alongside"/> in the same
    /// round trip, and returns the ids this group won. Ids must be distinct. Once per group.
    /// </summary>
    public async Task<IReadOnlySet<Guid>> ClaimNewStreamsAsync(
        IReadOnlyList<NewStream> streams,
        AlongsideReads? alongside,
        CancellationToken cancellationToken
    )
    {
        if (_claimedOnce || streams.Count is 0 or > StreamsPerGroupMax)
        {
            throw new InvalidOperationException(
                $"a group claims once, 1-{StreamsPerGroupMax} streams"
            );
        }
        if (
            streams.Select(s => s.Id).Distinct().Count() != streams.Count
            || streams.Any(s => s.Version is < 1 or > EventSession.EventsPerAppendMax)
        )
        {
            throw new ArgumentException(
                "a group claims distinct ids, each for 1-16 events",
                nameof(streams)
            );
        }
        _claimedOnce = true;
        await using var batch = new NpgsqlBatch(Connection, Transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand(GenericPlansSql));
        batch.BatchCommands.Add(
            new NpgsqlBatchCommand(ClaimSql)
            {
                Parameters =
                {
                    new() { Value = streams.Select(s => s.Id).ToArray() },
                    new() { Value = streams.Select(s => s.Type).ToArray() },
                    new() { Value = streams.Select(s => s.Version).ToArray() },
                },
            }
        );
        foreach (NpgsqlBatchCommand command in alongside?.Commands ?? [])
        {
            batch.BatchCommands.Add(command);
        }
        await batch.PrepareAsync(cancellationToken);
        var won = new HashSet<Guid>();
        await using (NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                won.Add(reader.GetGuid(0));
            }
            if (alongside is not null && await reader.NextResultAsync(cancellationToken))
            {
                await alongside.ReadAsync(reader, cancellationToken);
            }
        }
        foreach (NewStream stream in streams.Where(s => won.Contains(s.Id)))
        {
            _claimed.Add(stream.Id, stream);
        }
        return won;
    }

    /// <summary>Queues the events of a stream this group claimed, with its request's metadata.</summary>
    public void StartStream(Guid streamId, IReadOnlyList<object> events, EventMetadata metadata)
    {
        if (!_claimed.TryGetValue(streamId, out NewStream? claim))
        {
            throw new InvalidOperationException($"stream {streamId} was not claimed by this group");
        }
        if (events.Count != claim.Version || _started.Any(s => s.Claim.Id == streamId))
        {
            throw new InvalidOperationException(
                $"stream {streamId} was claimed for {claim.Version} events and starts once"
            );
        }
        _started.Add(new StartedStream(claim, events, metadata));
    }

    /// <summary>
    /// Inserts every started stream's events and the projections' statements in one batch, then
    /// commits. Every claimed stream must have been started: a claimed stream row without its
    /// events would be a broken log, so a group that leaves one out never commits.
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_committed || _started.Count == 0 || _started.Count != _claimed.Count)
        {
            throw new InvalidOperationException(
                "a group commits once, after starting every stream it claimed"
            );
        }
        List<PendingEvent> pending = [.. ByLevel()];
        var projectionBatch = new ProjectionBatch();
        foreach (IInlineProjection projection in _projections)
        {
            projection.ProjectGroup(pending, projectionBatch);
        }
        await using var batch = new NpgsqlBatch(Connection, Transaction);
        var expectedRows = new List<int>();
        foreach (var level in pending.GroupBy(e => e.Version).OrderBy(g => g.Key))
        {
            batch.BatchCommands.Add(InsertLevel(level.Key, [.. level]));
            expectedRows.Add(level.Count());
        }
        foreach (NpgsqlBatchCommand command in projectionBatch.Commands)
        {
            batch.BatchCommands.Add(command);
        }
        await batch.PrepareAsync(cancellationToken);
        await batch.ExecuteNonQueryAsync(cancellationToken);
        for (int i = 0; i < expectedRows.Count; i++)
        {
            if (batch.BatchCommands[i].RecordsAffected != expectedRows[i])
            {
                throw new EventStoreInvariantException(
                    $"a group inserted {batch.BatchCommands[i].RecordsAffected} events at level {i + 1}, "
                        + $"expected {expectedRows[i]}"
                );
            }
        }
        projectionBatch.CheckRowCounts();
        await Transaction.CommitAsync(cancellationToken);
        _committed = true;
    }

    public async ValueTask DisposeAsync()
    {
        // Disposing an uncommitted transaction rolls it back: no claim and no event remains.
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }

    /// <summary>
    /// Every first event, in the order the streams were started, then every second event, and
    /// so on: the order of the insert statements, so projections see each stream's events in
    /// version order.
    /// </summary>
    private IEnumerable<PendingEvent> ByLevel()
    {
        int levels = _started.Max(s => s.Events.Count);
        for (int version = 1; version <= levels; version++)
        {
            foreach (StartedStream s in _started.Where(s => s.Events.Count >= version))
            {
                object data = s.Events[version - 1];
                yield return new PendingEvent(
                    s.Claim.Id,
                    s.Claim.Type,
                    version,
                    _registry.AliasOf(data),
                    data,
                    s.Metadata
                );
            }
        }
    }

    private NpgsqlBatchCommand InsertLevel(int version, IReadOnlyList<PendingEvent> events)
    {
        var ids = new NpgsqlParameter { Value = events.Select(e => e.StreamId).ToArray() };
        var types = new NpgsqlParameter { Value = events.Select(e => e.Type).ToArray() };
        var data = new NpgsqlParameter
        {
            Value = events.Select(e => _registry.Serialize(e.Data)).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
        };
        var metadata = new NpgsqlParameter
        {
            Value = events.Select(e => JsonSerializer.Serialize(e.Metadata)).ToArray(),
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
        };
        return version == 1
            ? new NpgsqlBatchCommand(InsertFirstLevelSql)
            {
                Parameters = { ids, types, data, metadata },
            }
            : new NpgsqlBatchCommand(InsertNextLevelSql)
            {
                Parameters =
                {
                    ids,
                    new NpgsqlParameter { Value = version },
                    types,
                    data,
                    metadata,
                },
            };
    }

    private sealed record StartedStream(
        NewStream Claim,
        IReadOnlyList<object> Events,
        EventMetadata Metadata
    );
}
