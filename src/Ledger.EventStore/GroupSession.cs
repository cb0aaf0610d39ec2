using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.EventStore;

/// <summary>A new stream a group claims: its id, its type and the version its events reach.</summary>
public sealed record NewStream(Guid Id, string Type, int Version);

/// <summary>
/// Statements a group runs in its transaction in one round trip, and how to read their
/// results: the reader arrives positioned on the first of them.
/// </summary>
public sealed record GroupStatements(
    IReadOnlyList<NpgsqlBatchCommand> Commands,
    Func<NpgsqlDataReader, CancellationToken, Task> ReadAsync
)
{
    public static GroupStatements None { get; } = new([], (_, _) => Task.CompletedTask);

    /// <summary>Both in one round trip; each of <paramref name="first"/>'s commands returns rows.</summary>
    public static GroupStatements Concat(GroupStatements first, GroupStatements second) =>
        first.Commands.Count == 0 ? second
        : second.Commands.Count == 0 ? first
        : new(
            [.. first.Commands, .. second.Commands],
            async (reader, cancellationToken) =>
            {
                await first.ReadAsync(reader, cancellationToken);
                await GroupSession.NextResultAsync(reader, cancellationToken);
                await second.ReadAsync(reader, cancellationToken);
            }
        );
}

/// <summary>
/// One transaction that starts many new streams, each with the metadata of its own request:
/// group commit (ADR 0010). It claims every stream in one statement, in id order, in one round
/// trip with the caller's own statements (guards before it, reads and locks after), and
/// reports which it won: an id already taken is no error here, it is the caller's duplicate or
/// a racing retry, answered from the stored stream. The caller may then run more statements of
/// its own (<see cref="RunAsync"/>), start each claimed stream, and commit. Events are
/// written with the same hash chain and the same inline projections as
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
    // And that plan joins by nested loops over the keys' indexes: with its default page costs
    // PostgreSQL preferred to hash a whole small table, so every group read all 1,000 balance
    // rows of the benchmark twice, to find a dozen (docs/benchmarks.md, "Third round").
    internal static readonly string[] PlanSettingsSql =
    [
        "SET LOCAL plan_cache_mode = force_generic_plan",
        "SET LOCAL enable_hashjoin = off",
        "SET LOCAL enable_mergejoin = off",
    ];

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

    // One statement per version level. The first level chains from 32 zero bytes, read through
    // the stream row the claim wrote; each later level joins the previous level's rows, which
    // an earlier statement of the same batch inserted (a statement cannot see its own rows). A
    // missing stream row or predecessor leaves the hash NULL (ledger.event_hash is STRICT) and
    // the NOT NULL constraint aborts the group, as in EventSession. ledger.event_hash stays the
    // single source of the hash. WITH ORDINALITY keeps the caller's order, so seq follows the
    // order the requests were decided in.
    private const string InsertFirstLevelSql = """
        INSERT INTO ledger.events (stream_id, version, type, data, metadata, recorded_at, hash)
        SELECT e.stream_id, 1, e.type, e.data, e.metadata, now(), ledger.event_hash(
                   s.zero, e.stream_id, 1, e.type, e.data, e.metadata, now())
        FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::jsonb[])
             WITH ORDINALITY AS e(stream_id, type, data, metadata, n)
        LEFT JOIN (SELECT id, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea AS zero
                   FROM ledger.streams) s ON s.id = e.stream_id
        ORDER BY e.n
        """;

    // A stream started in a group has one request's metadata on all its events, so a later
    // level takes it from its predecessor rather than send and parse it again.
    private const string InsertNextLevelSql = """
        INSERT INTO ledger.events (stream_id, version, type, data, metadata, recorded_at, hash)
        SELECT e.stream_id, $2, e.type, e.data, p.metadata, now(), ledger.event_hash(
                   p.hash, e.stream_id, $2, e.type, e.data, p.metadata, now())
        FROM unnest($1::uuid[], $3::text[], $4::jsonb[])
             WITH ORDINALITY AS e(stream_id, type, data, n)
        LEFT JOIN ledger.events p ON p.stream_id = e.stream_id AND p.version = $2 - 1
        ORDER BY e.n
        """;

    private readonly EventTypeRegistry _registry;
    private readonly IReadOnlyList<IInlineProjection> _projections;
    private readonly Dictionary<Guid, NewStream> _claimed = [];
    private readonly List<StartedStream> _started = [];
    private IReadOnlyList<NpgsqlBatchCommand> _assumed = [];
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
    /// Runs <paramref name="statements"/> in the group's transaction, after its claim, in one
    /// round trip, and reads their results.
    /// </summary>
    public async Task RunAsync(GroupStatements statements, CancellationToken cancellationToken)
    {
        if (!_claimedOnce)
        {
            throw new InvalidOperationException("a group's first round trip is its claim");
        }
        await ExecuteAsync(statements, cancellationToken);
    }

    /// <summary>
    /// Claims the new streams in one statement and returns the ids this group won, in one round
    /// trip with the caller's <paramref name="before"/> and <paramref name="after"/> statements.
    /// Ids must be distinct. Once per group, and first.
    /// </summary>
    public async Task<IReadOnlySet<Guid>> ClaimNewStreamsAsync(
        IReadOnlyList<NewStream> streams,
        GroupStatements before,
        GroupStatements after,
        CancellationToken cancellationToken
    )
    {
        ClaimOnce(streams);
        var won = new HashSet<Guid>();
        var claim = new GroupStatements(
            [ClaimCommand(streams)],
            async (reader, cancellationToken) =>
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    won.Add(reader.GetGuid(0));
                }
            }
        );
        GroupStatements all = GroupStatements.Concat(GroupStatements.Concat(before, claim), after);
        // The plan settings come first; SET returns no rows, so the reader starts on the next.
        await ExecuteAsync(
            all with
            {
                Commands =
                [
                    .. PlanSettingsSql.Select(sql => new NpgsqlBatchCommand(sql)),
                    .. all.Commands,
                ],
            },
            cancellationToken
        );
        foreach (NewStream stream in streams.Where(s => won.Contains(s.Id)))
        {
            _claimed.Add(stream.Id, stream);
        }
        return won;
    }

    /// <summary>
    /// Claims every stream as new without a round trip of its own: the claim runs at the start
    /// of <see cref="CommitAsync"/>'s batch, between the caller's <paramref name="before"/> and
    /// <paramref name="after"/> assumptions (see <see cref="Assumed"/>) as in
    /// <see cref="ClaimNewStreamsAsync"/>, so locks are taken in the same order on both paths.
    /// A group whose caller decided on what it already knew thus commits in one round trip. A
    /// stream that exists, or any assumption that no longer holds, fails the commit with
    /// <see cref="StaleAssumptionException"/>, having written nothing. Once per group, and first.
    /// </summary>
    public void ClaimInCommit(
        IReadOnlyList<NewStream> streams,
        IReadOnlyList<NpgsqlBatchCommand> before,
        IReadOnlyList<NpgsqlBatchCommand> after
    )
    {
        ClaimOnce(streams);
        _assumed =
        [
            .. PlanSettingsSql.Select(sql => new NpgsqlBatchCommand(sql)),
            .. before,
            Assumed(ClaimCommand(streams), streams.Count, "every stream claimed is new"),
            .. after,
        ];
        foreach (NewStream stream in streams)
        {
            _claimed.Add(stream.Id, stream);
        }
    }

    /// <summary>
    /// A statement returning rows, sent as an assumption: any other number of rows than
    /// <paramref name="expectedRows"/> fails the group with <see cref="StaleAssumptionException"/>
    /// (ledger.expect_unchanged) before any later statement of its batch runs.
    /// </summary>
    public static NpgsqlBatchCommand Assumed(
        NpgsqlBatchCommand rows,
        int expectedRows,
        string assumption
    ) =>
        ProjectionBatch.CountedInServer(
            rows,
            rows.CommandText,
            "ledger.expect_unchanged",
            expectedRows,
            assumption
        );

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
    /// Inserts every started stream's events and the projections' rows and commits, all in one
    /// round trip: on a loaded machine each round trip costs a wake-up on both sides, and every
    /// open of the group waits for its commit (docs/benchmarks.md, "Eighth round"). A statement
    /// with a row count to meet is checked in the server (ledger.expect_rows), so a broken
    /// invariant fails before the COMMIT queued behind it can run. With nothing claimed (every
    /// open a duplicate or a replay), only the caller's own statements commit. Every claimed
    /// stream must have been started: a claimed stream row without its events would be a broken
    /// log, so such a group never commits.
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (_committed || _started.Count != _claimed.Count)
        {
            throw new InvalidOperationException(
                "a group commits once, after starting every stream it claimed"
            );
        }
        if (_claimed.Count == 0)
        {
            await Transaction.CommitAsync(cancellationToken);
            _committed = true;
            return;
        }
        List<PendingEvent> pending = [.. ByLevel()];
        var projectionBatch = new ProjectionBatch();
        foreach (IInlineProjection projection in _projections)
        {
            projection.ProjectGroup(pending, projectionBatch);
        }
        await using var batch = new NpgsqlBatch(Connection, Transaction);
        foreach (NpgsqlBatchCommand command in _assumed)
        {
            batch.BatchCommands.Add(command);
        }
        foreach (var level in pending.GroupBy(e => e.Version).OrderBy(g => g.Key))
        {
            batch.BatchCommands.Add(
                ProjectionBatch.CheckedInServer(
                    InsertLevel(level.Key, [.. level]),
                    level.Count(),
                    $"a group inserts every event of version {level.Key}"
                )
            );
        }
        foreach (NpgsqlBatchCommand command in projectionBatch.Commands)
        {
            batch.BatchCommands.Add(command);
        }
        // A statement that fails skips every later one up to the batch's end, this one too.
        batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
        await batch.PrepareAsync(cancellationToken);
        try
        {
            await ProjectionBatch.ExecuteCheckedAsync(batch, cancellationToken);
        }
        catch (PostgresException e)
            when (e.SqlState == PostgresErrorCodes.SerializationFailure && _assumed.Count > 0)
        {
            throw new StaleAssumptionException(e.MessageText, e);
        }
        _committed = true;
    }

    public async ValueTask DisposeAsync()
    {
        // Disposing an uncommitted transaction rolls it back: no claim and no event remains.
        await Transaction.DisposeAsync();
        await Connection.DisposeAsync();
    }

    private void ClaimOnce(IReadOnlyList<NewStream> streams)
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
    }

    private static NpgsqlBatchCommand ClaimCommand(IReadOnlyList<NewStream> streams) =>
        new(ClaimSql)
        {
            Parameters =
            {
                new() { Value = streams.Select(s => s.Id).ToArray() },
                new() { Value = streams.Select(s => s.Type).ToArray() },
                new() { Value = streams.Select(s => s.Version).ToArray() },
            },
        };

    /// <summary>Runs the statements in one round trip, in the group's transaction.</summary>
    private async Task ExecuteAsync(GroupStatements statements, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(Connection, Transaction);
        foreach (NpgsqlBatchCommand command in statements.Commands)
        {
            batch.BatchCommands.Add(command);
        }
        await batch.PrepareAsync(cancellationToken);
        await using NpgsqlDataReader reader = await batch.ExecuteReaderAsync(cancellationToken);
        await statements.ReadAsync(reader, cancellationToken);
    }

    internal static async Task NextResultAsync(
        NpgsqlDataReader reader,
        CancellationToken cancellationToken
    )
    {
        if (!await reader.NextResultAsync(cancellationToken))
        {
            throw new EventStoreInvariantException("a group statement returned no rows");
        }
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
        return version == 1
            ? new NpgsqlBatchCommand(InsertFirstLevelSql)
            {
                Parameters =
                {
                    ids,
                    types,
                    data,
                    new NpgsqlParameter
                    {
                        Value = events.Select(e => JsonSerializer.Serialize(e.Metadata)).ToArray(),
                        NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb,
                    },
                },
            }
            : new NpgsqlBatchCommand(InsertNextLevelSql)
            {
                Parameters =
                {
                    ids,
                    new NpgsqlParameter { Value = version },
                    types,
                    data,
                },
            };
    }

    private sealed record StartedStream(
        NewStream Claim,
        IReadOnlyList<object> Events,
        EventMetadata Metadata
    );
}
