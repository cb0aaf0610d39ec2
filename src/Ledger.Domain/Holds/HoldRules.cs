using Ledger.Domain.Connections;

namespace Ledger.Domain.Holds;

/// <summary>The refusal reasons BitGo sees in rejectionReason. The words are part of the contract.</summary>
public static class RejectionReasons
{
    public const string InsufficientFunds = "insufficient funds";
    public const string UnknownConnection = "unknown connection";
    public const string InactiveConnection = "inactive connection";
    public const string ClientMismatch = "clientId does not match the connection";
    public const string PartnersConnectionMismatch =
        "partnersConnectionId does not match the connection";
    public const string PartnerClientMismatch = "partnerClientId does not match the connection";
    public const string UnknownCurrency = "unknown currency";
}

/// <summary>Pure rules shared by allocations and deallocations.</summary>
public static class HoldRules
{
    /// <summary>
    /// Why a hold must be refused before funds are even looked at, or null. The order is
    /// fixed so that a retry always meets the same reason.
    /// </summary>
    public static string? RefusalBeforeFunds(
        HoldRequest request,
        Connection? connection,
        CurrencyCatalog currencies
    )
    {
        if (connection is null)
        {
            return RejectionReasons.UnknownConnection;
        }
        if (connection.ClientId != request.ClientId)
        {
            return RejectionReasons.ClientMismatch;
        }
        if (
            !string.Equals(
                connection.PartnersConnectionId,
                request.PartnersConnectionId,
                StringComparison.Ordinal
            )
        )
        {
            return RejectionReasons.PartnersConnectionMismatch;
        }
        if (
            !string.Equals(
                connection.PartnersClientId,
                request.PartnerClientId,
                StringComparison.Ordinal
            )
        )
        {
            return RejectionReasons.PartnerClientMismatch;
        }
        if (!connection.IsActive)
        {
            return RejectionReasons.InactiveConnection;
        }
        return currencies.Supports(request.Amount.Currency)
            ? null
            : RejectionReasons.UnknownCurrency;
    }

    /// <summary>
    /// The first field, by its contract name, in which a retry differs from the original
    /// request; null when they are the same (TigerBeetle's "exists_with_different_*").
    /// </summary>
    public static string? FirstDifference(HoldRequest original, HoldRequest retry)
    {
        if (original.Id != retry.Id)
        {
            throw new InvariantViolationException("only requests with the same id are compared");
        }
        if (original.Amount.Currency != retry.Amount.Currency)
        {
            return "amount.currency";
        }
        if (original.Amount.Quantity != retry.Amount.Quantity)
        {
            return "amount.quantity";
        }
        if (original.ClientId != retry.ClientId)
        {
            return "clientId";
        }
        if (original.ConnectionId != retry.ConnectionId)
        {
            return "connectionId";
        }
        if (
            !string.Equals(
                original.PartnersConnectionId,
                retry.PartnersConnectionId,
                StringComparison.Ordinal
            )
        )
        {
            return "partnersConnectionId";
        }
        return string.Equals(
            original.PartnerClientId,
            retry.PartnerClientId,
            StringComparison.Ordinal
        )
            ? null
            : "partnerClientId";
    }

    /// <summary>
    /// Clear and release after TigerBeetle's post and void, without its timeout: a hold only
    /// ends when BitGo or an operator ends it (ADR 0006). A refused hold reads as "released"
    /// to BitGo, so releasing it again is a repeat, and clearing it is a conflict.
    /// </summary>
    public static SettleDecision Settle(Hold hold, Settlement settlement, Func<object> effect)
    {
        return (hold.Status, settlement) switch
        {
            (HoldStatus.Reserved, _) => new SettleDecision.Append(effect()),
            (HoldStatus.Cleared, Settlement.Clear) => new SettleDecision.AlreadyDone(),
            (HoldStatus.Released, Settlement.Release) => new SettleDecision.AlreadyDone(),
            (HoldStatus.Rejected, Settlement.Release) => new SettleDecision.AlreadyDone(),
            (HoldStatus.Cleared, Settlement.Release) => new SettleDecision.Conflict(
                "it is cleared and can no longer be released"
            ),
            (HoldStatus.Released, Settlement.Clear) => new SettleDecision.Conflict(
                "it is released and can no longer be cleared"
            ),
            (HoldStatus.Rejected, Settlement.Clear) => new SettleDecision.Conflict(
                "it was refused and can never be cleared"
            ),
            _ => throw new InvariantViolationException(
                $"a hold in status {hold.Status} cannot be settled"
            ),
        };
    }
}
