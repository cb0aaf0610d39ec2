using Ledger.Domain.Connections;
using Ledger.Domain.Holds;

namespace Ledger.Domain.Allocations;

/// <summary>Pure decisions for an allocation: state and command in, events out.</summary>
public static class AllocationDecisions
{
    /// <summary>
    /// A new allocation is requested and, in the same append, reserved as a pending credit or
    /// rejected. No funds check: the funds arrive from BitGo.
    /// </summary>
    public static IReadOnlyList<object> Request(
        HoldRequest request,
        Connection? connection,
        CurrencyCatalog currencies,
        string partnerAllocationId
    )
    {
        ArgumentException.ThrowIfNullOrEmpty(partnerAllocationId);
        string? reason = HoldRules.RefusalBeforeFunds(request, connection, currencies);
        object outcome = reason is null
            ? new AllocationReserved(
                request.Id,
                partnerAllocationId,
                request.ClientId,
                request.ConnectionId,
                request.Amount
            )
            : new AllocationRejected(request.Id, partnerAllocationId, reason);
        return [AllocationRequested.From(request), outcome];
    }

    public static SettleDecision Clear(Hold allocation) =>
        HoldRules.Settle(
            allocation,
            Settlement.Clear,
            () =>
                new AllocationCleared(
                    allocation.Id,
                    allocation.Request.ClientId,
                    allocation.Request.ConnectionId,
                    allocation.Request.Amount
                )
        );

    public static SettleDecision Release(Hold allocation) =>
        HoldRules.Settle(
            allocation,
            Settlement.Release,
            () =>
                new AllocationReleased(
                    allocation.Id,
                    allocation.Request.ClientId,
                    allocation.Request.ConnectionId,
                    allocation.Request.Amount
                )
        );
}
