using Ledger.Domain.Holds;

namespace Ledger.Domain.Deallocations;

// A deallocation moves funds from the exchange back to BitGo custody. Each event names the
// deallocation first; the events that move a balance also carry the balance's key and amount,
// so a projection or an auditor never needs another event to apply them.

public sealed record DeallocationRequested(
    Guid DeallocationId,
    Guid ClientId,
    Guid ConnectionId,
    string PartnersConnectionId,
    string PartnerClientId,
    Amount Amount
) : IHoldRequested
{
    Guid IHoldEvent.HoldId => DeallocationId;

    public HoldRequest ToRequest() =>
        new(DeallocationId, ClientId, ConnectionId, PartnersConnectionId, PartnerClientId, Amount);

    public static DeallocationRequested From(HoldRequest r) =>
        new(r.Id, r.ClientId, r.ConnectionId, r.PartnersConnectionId, r.PartnerClientId, r.Amount);
}

/// <summary>The amount moved from available to reserved: funds on hold for BitGo.</summary>
public sealed record DeallocationReserved(
    Guid DeallocationId,
    string PartnerDeallocationId,
    Guid ClientId,
    Guid ConnectionId,
    Amount Amount
) : IHoldReserved
{
    Guid IHoldEvent.HoldId => DeallocationId;

    string IHoldReserved.PartnerReference => PartnerDeallocationId;
}

/// <summary>Refused: nothing moved. BitGo reads this as "released" with the reason.</summary>
public sealed record DeallocationRejected(
    Guid DeallocationId,
    string PartnerDeallocationId,
    string Reason
) : IHoldRejected
{
    Guid IHoldEvent.HoldId => DeallocationId;

    string IHoldRejected.PartnerReference => PartnerDeallocationId;
}

/// <summary>BitGo cleared the hold: the reserved funds left the exchange.</summary>
public sealed record DeallocationCleared(
    Guid DeallocationId,
    Guid ClientId,
    Guid ConnectionId,
    Amount Amount
) : IHoldCleared
{
    Guid IHoldEvent.HoldId => DeallocationId;
}

/// <summary>The hold was cancelled: the reserved funds are available again.</summary>
public sealed record DeallocationReleased(
    Guid DeallocationId,
    Guid ClientId,
    Guid ConnectionId,
    Amount Amount
) : IHoldReleased
{
    Guid IHoldEvent.HoldId => DeallocationId;
}
