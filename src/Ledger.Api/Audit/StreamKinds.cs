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
    /// <summary>The stream type the event belongs to, or null for an event no stream holds.</summary>
    public static string? Of(object data) => data switch
    {
        ConnectionActivated or ConnectionDeactivated => ConnectionFlow.StreamType,
        AllocationRequested or AllocationReserved or AllocationRejected or AllocationCleared
            or AllocationReleased => AllocationsApi.StreamType,
        DeallocationRequested or DeallocationReserved or DeallocationRejected or DeallocationCleared
            or DeallocationReleased => DeallocationsApi.StreamType,
        _ => null,
    };

    /// <summary>hold_status.status: the ledger's word, where a refusal is "rejected".</summary>
    public static string StatusText(HoldStatus status) => status switch
    {
        HoldStatus.Requested => "requested",
        HoldStatus.Reserved => "reserved",
        HoldStatus.Rejected => "rejected",
        HoldStatus.Cleared => "cleared",
        HoldStatus.Released => "released",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "no such hold status"),
    };
}
