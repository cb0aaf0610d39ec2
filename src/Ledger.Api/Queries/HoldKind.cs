using Ledger.Api.Allocations;
using Ledger.Api.Deallocations;

namespace Ledger.Api.Queries;

/// <summary>
/// Allocations and deallocations share one read model (ledger.hold_status, column kind) and one
/// set of query handlers; this is what differs. Name is the stream type the projection stores.
/// </summary>
public sealed record HoldKind(string Name, string IdField)
{
    public static HoldKind Allocation { get; } = new(AllocationsApi.StreamType, "allocationId");

    public static HoldKind Deallocation { get; } =
        new(DeallocationsApi.StreamType, "deallocationId");
}
