using System.Numerics;
using Ledger.Domain.Allocations;
using Ledger.Domain.Deallocations;

namespace Ledger.Domain.Balances;

/// <summary>A balance is kept per client, connection and currency.</summary>
public sealed record BalanceKey(Guid ClientId, Guid ConnectionId, Currency Currency);

/// <summary>A signed change to the three parts of a balance.</summary>
public sealed record BalanceDelta(
    BalanceKey Key,
    BigInteger Available,
    BigInteger Reserved,
    BigInteger PendingCredit
);

/// <summary>What a client holds on the exchange. None of the parts is ever negative.</summary>
public sealed record Balance(Quantity Available, Quantity Reserved, Quantity PendingCredit)
{
    public static Balance Empty { get; } = new(Quantity.Zero, Quantity.Zero, Quantity.Zero);

    /// <summary>Quantity.From throws when a part would go negative: that is a bug, not a refusal.</summary>
    public Balance Apply(BalanceDelta delta) =>
        new(
            Quantity.From(Available.Value + delta.Available),
            Quantity.From(Reserved.Value + delta.Reserved),
            Quantity.From(PendingCredit.Value + delta.PendingCredit)
        );
}

/// <summary>
/// The balance table of issue 3, in one place. The SQL projection, the audit replay and the
/// property tests all read it from here, so they cannot disagree.
/// </summary>
public static class BalanceEffects
{
    /// <summary>The change an event makes, or null for events that move nothing.</summary>
    public static BalanceDelta? Of(object @event) =>
        @event switch
        {
            AllocationReserved e => Delta(e.ClientId, e.ConnectionId, e.Amount, 0, 0, +1),
            AllocationCleared e => Delta(e.ClientId, e.ConnectionId, e.Amount, +1, 0, -1),
            AllocationReleased e => Delta(e.ClientId, e.ConnectionId, e.Amount, 0, 0, -1),
            DeallocationReserved e => Delta(e.ClientId, e.ConnectionId, e.Amount, -1, +1, 0),
            DeallocationCleared e => Delta(e.ClientId, e.ConnectionId, e.Amount, 0, -1, 0),
            DeallocationReleased e => Delta(e.ClientId, e.ConnectionId, e.Amount, +1, -1, 0),
            _ => null,
        };

    private static BalanceDelta Delta(
        Guid clientId,
        Guid connectionId,
        Amount amount,
        int available,
        int reserved,
        int pending
    )
    {
        BigInteger q = amount.Quantity.Value;
        return new BalanceDelta(
            new BalanceKey(clientId, connectionId, amount.Currency),
            available * q,
            reserved * q,
            pending * q
        );
    }
}
