using Ledger.Domain.Balances;

namespace Ledger.Domain.Holds;

/// <summary>
/// What BitGo asks for when it opens an allocation or a deallocation. Both flows carry the same
/// fields; only the id's name differs on the wire.
/// </summary>
public sealed record HoldRequest(
    Guid Id,
    Guid ClientId,
    Guid ConnectionId,
    string PartnersConnectionId,
    string PartnerClientId,
    Amount Amount
)
{
    /// <summary>The balance whose funds this hold reserves or credits.</summary>
    public BalanceKey BalanceKey => new(ClientId, ConnectionId, Amount.Currency);
}

/// <summary>Where a hold is in its life. Requested is only ever seen mid-append.</summary>
public enum HoldStatus
{
    Requested,
    Reserved,
    Rejected,
    Cleared,
    Released,
}

/// <summary>BitGo's second call on a hold.</summary>
public enum Settlement
{
    Clear,
    Release,
}

/// <summary>The outcome of a settlement decision: new events, a repeat, or a refusal.</summary>
public abstract record SettleDecision
{
    private SettleDecision() { }

    /// <summary>The settlement takes effect with this event.</summary>
    public sealed record Append(object Event) : SettleDecision;

    /// <summary>The hold is already in the asked-for state: answer as before, change nothing.</summary>
    public sealed record AlreadyDone : SettleDecision;

    /// <summary>The hold is in a state the settlement cannot leave (a 409).</summary>
    public sealed record Conflict(string Detail) : SettleDecision;
}
