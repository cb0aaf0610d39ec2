using Ledger.Domain.Connections;
using Ledger.Domain.Holds;

namespace Ledger.Domain.Deallocations;

/// <summary>Pure decisions for a deallocation: state and command in, events out.</summary>
public static class DeallocationDecisions
{
    /// <summary>
    /// A new deallocation is requested and, in the same append, either reserved or rejected.
    /// <paramref name="available"/> must be read under the balance row's lock, so no other
    /// reservation can spend it between this decision and the commit.
    /// </summary>
    public static IReadOnlyList<object> Request(
        HoldRequest request,
        Connection? connection,
        CurrencyCatalog currencies,
        Quantity available,
        string partnerDeallocationId
    )
    {
        ArgumentException.ThrowIfNullOrEmpty(partnerDeallocationId);
        string? reason =
            HoldRules.RefusalBeforeFunds(request, connection, currencies)
            ?? (request.Amount.Quantity > available ? RejectionReasons.InsufficientFunds : null);
        object outcome = reason is null
            ? new DeallocationReserved(
                request.Id,
                partnerDeallocationId,
                request.ClientId,
                request.ConnectionId,
                request.Amount
            )
            : new DeallocationRejected(request.Id, partnerDeallocationId, reason);
        return [DeallocationRequested.From(request), outcome];
    }

    /// <summary>
    /// The funds available for which a decision of <see cref="Request"/> stands, whatever
    /// funds it was decided with: a reservation of q for any of at least q, a refusal for funds
    /// for any below q, any other refusal for any funds at all.
    /// </summary>
    public static FundsRange StandsFor(IReadOnlyList<object> decision) =>
        (decision[0], decision[1]) switch
        {
            (DeallocationRequested, DeallocationReserved reserved) => new(
                reserved.Amount.Quantity,
                null
            ),
            (
                DeallocationRequested requested,
                DeallocationRejected { Reason: RejectionReasons.InsufficientFunds }
            ) => new(Quantity.Zero, requested.Amount.Quantity),
            (DeallocationRequested, DeallocationRejected) => FundsRange.Any,
            _ => throw new InvariantViolationException(
                "a deallocation is decided as requested, then reserved or rejected"
            ),
        };

    public static SettleDecision Clear(Hold deallocation) =>
        HoldRules.Settle(
            deallocation,
            Settlement.Clear,
            () =>
                new DeallocationCleared(
                    deallocation.Id,
                    deallocation.Request.ClientId,
                    deallocation.Request.ConnectionId,
                    deallocation.Request.Amount
                )
        );

    public static SettleDecision Release(Hold deallocation) =>
        HoldRules.Settle(
            deallocation,
            Settlement.Release,
            () =>
                new DeallocationReleased(
                    deallocation.Id,
                    deallocation.Request.ClientId,
                    deallocation.Request.ConnectionId,
                    deallocation.Request.Amount
                )
        );
}
