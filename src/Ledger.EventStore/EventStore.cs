using System.Runtime.CompilerServices;
using System.Text.Json;
using Npgsql;

namespace Ledger.EventStore;

/// <summary>
/// The PostgreSQL event store: sessions to append, and reads of one stream or of the whole
/// log. It is the seam where Marten could replace our code (ADR 0002).
/// </summary>
public sealed class EventStore(
    NpgsqlDataSource dataSource,
    EventTypeRegistry registry,
    IEnumerable<IInlineProjection> projections
)
{
    /// <summary>A stream of ours holds a few events; more than this is a bug or an attack.</summary>
    public const int EventsPerStreamMax = 1_000;

    public const int ReplayBatchSizeMax = 10_000;

    // One statement, so one snapshot: the stream row and its events always agree. (Two
    // statements under READ COMMITTED each take their own snapshot, and an append committing
    // between them would look like a broken invariant.)
    private const string SelectStreamSql = """
        SELECT s.type, s.version,
               e.seq, e.stream_id, e.version, e.type, e.data, e.metadata, e.recorded_at
        FROM ledger.streams s
        LEFT JOIN ledger.events e ON e.stream_id = s.id AND e.version <= $2
        WHERE s.id = $1
        ORDER BY e.version
        LIMIT $3
        """;

    private const string SelectPageSql = """
        SELECT seq, stream_id, version, type, data, metadata, recorded_at FROM ledger.events
        WHERE seq > $1 ORDER BY seq LIMIT $2
        """;

    /// <summary>SelectStreamSql's event columns start after the stream's type and version.</summary>
    private const int StreamColumns = 2;

    private readonly IReadOnlyList<IInlineProjection> _projections = [.. projections];

    private readonly NpgsqlDataSource _dataSource = RequireFailedCommands(dataSource);

    public EventTypeRegistry Registry => registry;

    public NpgsqlDataSource DataSource => _dataSource;

    /// <summary>
    /// A session commits in one batch and tells a lost race from a stale assumption by the
    /// statement that failed, which Npgsql names only with IncludeFailedBatchedCommand.
    /// </summary>
    private static NpgsqlDataSource RequireFailedCommands(NpgsqlDataSource dataSource) =>
        new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).IncludeFailedBatchedCommand
            ? dataSource
            : throw new ArgumentException(
                "the event store's data source needs Include Failed Batched Command=true",
                nameof(dataSource)
            );

    public async Task<EventSession> BeginSessionAsync(
        EventMetadata metadata,
        CancellationToken cancellationToken = default
    )
    {
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(
                cancellationToken
            );
            return new EventSession(connection, transaction, registry, _projections, metadata);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>A transaction that starts many new streams at once: group commit (ADR 0010).</summary>
    public async Task<GroupSession> BeginGroupSessionAsync(
        CancellationToken cancellationToken = default
    )
    {
        NpgsqlConnection connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(
                cancellationToken
            );
            return new GroupSession(connection, transaction, registry, _projections);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads a stream, whole or up to a version; null when it does not exist.</summary>
    public async Task<EventStream?> FetchStreamAsync(
        Guid streamId,
        int? upToVersion = null,
        CancellationToken cancellationToken = default
    )
    {
        await using NpgsqlCommand command = _dataSource.CreateCommand(SelectStreamSql);
        command.Parameters.Add(new NpgsqlParameter { Value = streamId });
        command.Parameters.Add(new NpgsqlParameter { Value = upToVersion ?? int.MaxValue });
        command.Parameters.Add(new NpgsqlParameter { Value = EventsPerStreamMax + 1 });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        string type = reader.GetString(0);
        int version = reader.GetInt32(1);
        var events = new List<StoredEvent>();
        do
        {
            if (!reader.IsDBNull(StreamColumns))
            {
                events.Add(ReadEvent(reader, StreamColumns));
            }
        } while (await reader.ReadAsync(cancellationToken));
        CheckContiguous(
            streamId,
            events,
            upToVersion is null ? version : Math.Min(version, upToVersion.Value)
        );
        return new EventStream(streamId, type, events.Count, events);
    }

    /// <summary>
    /// Every event in seq order, page by page, holding one page in memory at a time. Each page
    /// is its own keyset query, so a replay never holds a transaction open for its duration.
    /// </summary>
    public async IAsyncEnumerable<IReadOnlyList<StoredEvent>> ReadAllAsync(
        long afterSeq = 0,
        int batchSize = 1_000,
        [EnumeratorCancellation] CancellationToken cancellationToken = default
    )
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, ReplayBatchSizeMax);
        long cursor = afterSeq;
        while (true)
        {
            var page = new List<StoredEvent>(batchSize);
            await using (NpgsqlCommand command = _dataSource.CreateCommand(SelectPageSql))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = cursor });
                command.Parameters.Add(new NpgsqlParameter { Value = batchSize });
                await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(
                    cancellationToken
                );
                while (await reader.ReadAsync(cancellationToken))
                {
                    page.Add(ReadEvent(reader));
                }
            }
            if (page.Count == 0)
            {
                yield break;
            }
            cursor = page[^1].Seq;
            yield return page;
        }
    }

    /// <summary>Reads the seven event columns, starting at column <paramref name="first"/>.</summary>
    private StoredEvent ReadEvent(NpgsqlDataReader reader, int first = 0)
    {
        string type = reader.GetString(first + 3);
        EventMetadata metadata =
            JsonSerializer.Deserialize<EventMetadata>(reader.GetString(first + 5))
            ?? throw new EventStoreInvariantException("event metadata is null");
        return new StoredEvent(
            reader.GetInt64(first),
            reader.GetGuid(first + 1),
            reader.GetInt32(first + 2),
            type,
            registry.Deserialize(type, reader.GetString(first + 4)),
            metadata,
            reader.GetFieldValue<DateTimeOffset>(first + 6)
        );
    }

    /// <summary>On replay, as on write: versions run 1..n with no gap and match the stream row.</summary>
    private static void CheckContiguous(Guid streamId, List<StoredEvent> events, int expectedCount)
    {
        if (events.Count > EventsPerStreamMax)
        {
            throw new EventStoreInvariantException(
                $"stream {streamId} exceeds {EventsPerStreamMax} events"
            );
        }
        for (int i = 0; i < events.Count; i++)
        {
            if (events[i].Version != i + 1)
            {
                throw new EventStoreInvariantException(
                    $"stream {streamId} has a gap: version {events[i].Version} at position {i + 1}"
                );
            }
        }
        if (events.Count != expectedCount)
        {
            throw new EventStoreInvariantException(
                $"stream {streamId} holds {events.Count} events but its row says {expectedCount}"
            );
        }
    }
}
