using Ledger.Domain.Allocations;
using Ledger.Domain.Connections;
using Ledger.Domain.Deallocations;
using Ledger.EventStore;

namespace Ledger.Api.Hosting;

/// <summary>
/// The stable alias of every event. An alias never changes once written to a log; a renamed
/// class keeps its alias (ADR 0002).
/// </summary>
public static class LedgerEvents
{
    public static EventTypeRegistry CreateRegistry() =>
        new EventTypeRegistry(LedgerJson.EventOptions)
            .Register<ConnectionActivated>("connection_activated")
            .Register<ConnectionDeactivated>("connection_deactivated")
            .Register<AllocationRequested>("allocation_requested")
            .Register<AllocationReserved>("allocation_reserved")
            .Register<AllocationRejected>("allocation_rejected")
            .Register<AllocationCleared>("allocation_cleared")
            .Register<AllocationReleased>("allocation_released")
            .Register<DeallocationRequested>("deallocation_requested")
            .Register<DeallocationReserved>("deallocation_reserved")
            .Register<DeallocationRejected>("deallocation_rejected")
            .Register<DeallocationCleared>("deallocation_cleared")
            .Register<DeallocationReleased>("deallocation_released");
}
