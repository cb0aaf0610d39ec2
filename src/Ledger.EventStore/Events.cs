using System.Text.Json.Serialization;

namespace Ledger.EventStore;

/// <summary>
/// Who and what caused an append. Stored with every event as jsonb, so an auditor sees the
/// actor (BitGo or a named operator) and can follow a request across events.
/// </summary>
public sealed record EventMetadata(
    [property: JsonPropertyName("actor")] string Actor,
    [property: JsonPropertyName("correlationId")] string CorrelationId,
    [property: JsonPropertyName("causationId")] string? CausationId,
    [property: JsonPropertyName("requestId")] string? RequestId
);

/// <summary>An event about to be appended, as inline projections see it.</summary>
public sealed record PendingEvent(
    Guid StreamId,
    string StreamType,
    int Version,
    string Type,
    object Data,
    EventMetadata Metadata
);

/// <summary>An event as the log holds it.</summary>
public sealed record StoredEvent(
    long Seq,
    Guid StreamId,
    int Version,
    string Type,
    object Data,
    EventMetadata Metadata,
    DateTimeOffset RecordedAt
);

/// <summary>A stream as read: its type, its version and its events in version order.</summary>
public sealed record EventStream(
    Guid Id,
    string Type,
    int Version,
    IReadOnlyList<StoredEvent> Events
)
{
    public IEnumerable<object> Data => Events.Select(e => e.Data);
}

/// <summary>
/// A lost race: the stream moved on since it was read, or a racing writer got there first.
/// It is the one exception for both causes, whether the version check or a unique violation
/// (23505) found it; the host answers it with 409, never 500.
/// </summary>
public class ConcurrencyException : Exception
{
    public ConcurrencyException(Guid streamId, string message, Exception? inner = null)
        : base(message, inner)
    {
        StreamId = streamId;
    }

    public Guid StreamId { get; }
}

/// <summary>Starting a stream whose id is taken. Racing duplicates of one request meet this.</summary>
public sealed class StreamAlreadyExistsException(Guid streamId)
    : ConcurrencyException(streamId, $"stream {streamId} already exists");

/// <summary>The stored log breaks a rule it must always keep: corrupted data or a bug.</summary>
public sealed class EventStoreInvariantException(string message) : Exception(message);

/// <summary>
/// What a group assumed when it decided no longer held (<see cref="GroupSession.ClaimInCommit"/>):
/// nothing was written, and the caller decides again on what it reads.
/// </summary>
public sealed class StaleAssumptionException(string message, Exception inner)
    : Exception(message, inner);
