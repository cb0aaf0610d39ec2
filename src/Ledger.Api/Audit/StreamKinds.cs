using Ledger.Api.Allocations;
using Ledger.Api.Connections;
using Ledger.Api.Deallocations;
using Ledger.Domain.Allocations;
using Ledger.Domain.Connections;
using Ledger.Domain.Deallocations;
using Ledger.Domain.Holds;

namespace Ledger.Api.Audit;

/// <summary>
/// Which kind of stream an event belongs in. The log does not repeat the stream's type on each
/// event, so a replay derives it: hold_status.kind and ledger.streams.type must agree with it.
/// </summary>
public static class StreamKinds
{
    private static readonly Dictionary<Type, string> KindsByType = new()
    {
        [typeof(ConnectionActivated)] = ConnectionFlow.StreamType,
        [typeof(ConnectionDeactivated)] = ConnectionFlow.StreamType,
        [typeof(AllocationRequested)] = AllocationsApi.StreamType,
        [typeof(AllocationReserved)] = AllocationsApi.StreamType,
        [typeof(AllocationRejected)] = AllocationsApi.StreamType,
        [typeof(AllocationCleared)] = AllocationsApi.StreamType,
        [typeof(AllocationReleased)] = AllocationsApi.StreamType,
        [typeof(DeallocationRequested)] = DeallocationsApi.StreamType,
        [typeof(DeallocationReserved)] = DeallocationsApi.StreamType,
        [typeof(DeallocationRejected)] = DeallocationsApi.StreamType,
        [typeof(DeallocationCleared)] = DeallocationsApi.StreamType,
        [typeof(DeallocationReleased)] = DeallocationsApi.StreamType,
    };

    /// <summary>
    /// The stream type the event belongs to, or null for an event no stream holds.
    /// </summary>
    public static string? Of(object data) => Of(data.GetType());

    /// <summary>The stream type events of this type belong to, or null.</summary>
    public static string? Of(Type eventType) => KindsByType.GetValueOrDefault(eventType);

    /// <summary>hold_status.status: the ledger's word, where a refusal is "rejected".</summary>
    public static string StatusText(HoldStatus status) =>
        status switch
        {
            HoldStatus.Requested => "requested",
            HoldStatus.Reserved => "reserved",
            HoldStatus.Rejected => "rejected",
            HoldStatus.Cleared => "cleared",
            HoldStatus.Released => "released",
            _ => throw new ArgumentOutOfRangeException(
                nameof(status),
                status,
                "no such hold status"
            ),
        };
}
