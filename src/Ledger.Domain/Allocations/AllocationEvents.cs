using Ledger.Domain.Holds;

namespace Ledger.Domain.Allocations;

// An allocation moves funds from BitGo custody to the exchange. Reserving it only holds a
// pending credit; the client may trade the funds once BitGo clears it. Events that move a
// balance carry the balance's key and amount.

public sealed record AllocationRequested(
    Guid AllocationId,
    Guid ClientId,
    Guid ConnectionId,
    string PartnersConnectionId,
    string PartnerClientId,
    Amount Amount
) : IHoldRequested
{
    Guid IHoldEvent.HoldId => AllocationId;

    public HoldRequest ToRequest() =>
        new(AllocationId, ClientId, ConnectionId, PartnersConnectionId, PartnerClientId, Amount);

    public static AllocationRequested From(HoldRequest r) =>
        new(r.Id, r.ClientId, r.ConnectionId, r.PartnersConnectionId, r.PartnerClientId, r.Amount);
}

/// <summary>A pending credit is held: not yet available to trade.</summary>
public sealed record AllocationReserved(
    Guid AllocationId,
    string PartnerAllocationId,
    Guid ClientId,
    Guid ConnectionId,
    Amount Amount
) : IHoldReserved
{
    Guid IHoldEvent.HoldId => AllocationId;

    string IHoldReserved.PartnerReference => PartnerAllocationId;
}

/// <summary>Refused: nothing moved. BitGo reads this as "released" with the reason.</summary>
public sealed record AllocationRejected(
    Guid AllocationId,
    string PartnerAllocationId,
    string Reason
) : IHoldRejected
{
    Guid IHoldEvent.HoldId => AllocationId;

    string IHoldRejected.PartnerReference => PartnerAllocationId;
}

/// <summary>BitGo cleared it: the pending credit becomes available to trade.</summary>
public sealed record AllocationCleared(
    Guid AllocationId,
    Guid ClientId,
    Guid ConnectionId,
    Amount Amount
) : IHoldCleared
{
    Guid IHoldEvent.HoldId => AllocationId;
}

/// <summary>The allocation was cancelled: the pending credit is dropped.</summary>
public sealed record AllocationReleased(
    Guid AllocationId,
    Guid ClientId,
    Guid ConnectionId,
    Amount Amount
) : IHoldReleased
{
    Guid IHoldEvent.HoldId => AllocationId;
}
