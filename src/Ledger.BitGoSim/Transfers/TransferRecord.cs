using System.Collections.Concurrent;
using Ledger.BitGoSim.Connections;
using Ledger.BitGoSim.Hosting;

namespace Ledger.BitGoSim.Transfers;

/// <summary>
/// What BitGo knows of a transfer at one moment. It is replaced whole, never edited, so a
/// reader (the balance view) always sees a consistent state without taking the flow's gate.
/// </summary>
public sealed record TransferState(
    TransferStatus Status,
    string? PartnerExternalId,
    string? Reason,
    string? LastError,
    DateTimeOffset UpdatedAt
)
{
    public bool Retriable => !TransferStatusWords.IsFinal(Status);
}

/// <summary>
/// One line of a transfer's timeline: a client request or answer, or a partner call.
/// </summary>
public sealed record TimelineEntry(DateTimeOffset At, string Actor, string Text);

/// <summary>
/// One allocation or deallocation at BitGo. Its id is also the partner's allocationId or
/// deallocationId, so every retry reaches the same hold at the partner. The gate serialises
/// the flow: two racing retries never call the partner at the same time for one transfer.
/// </summary>
public sealed class TransferRecord(
    Guid id,
    TransferKind kind,
    string enterpriseId,
    ConnectionRecord connection,
    TransferRequest request,
    DateTimeOffset createdAt
)
{
    private readonly ConcurrentQueue<TimelineEntry> timeline = new();
    private TransferState state = new(TransferStatus.Requested, null, null, null, createdAt);

    public Guid Id { get; } = id;

    public TransferKind Kind { get; } = kind;

    public string EnterpriseId { get; } = enterpriseId;

    public ConnectionRecord Connection { get; } = connection;

    public TransferRequest Request { get; } = request;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public SemaphoreSlim Gate { get; } = new(1, 1);

    public TransferState State
    {
        get => Volatile.Read(ref state);
        set => Volatile.Write(ref state, value ?? throw new ArgumentNullException(nameof(value)));
    }

    public IReadOnlyList<TimelineEntry> Timeline => [.. timeline];

    /// <summary>Keeps the first entries; a transfer retried without end stops growing.</summary>
    public void Note(DateTimeOffset at, string actor, string text)
    {
        if (timeline.Count < SimLimits.TimelineEntriesMax)
        {
            timeline.Enqueue(new TimelineEntry(at, actor, text));
        }
    }
}
