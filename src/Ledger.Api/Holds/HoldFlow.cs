using Ledger.Domain;
using Ledger.Domain.Connections;
using Ledger.Domain.Holds;

namespace Ledger.Api.Holds;

/// <summary>
/// What differs between allocations and deallocations, so that one set of handlers serves both
/// (style: no near-duplicate handlers). Each kind's folder declares its own flow.
/// </summary>
/// <remarks>
/// <paramref name="FundsStandFor"/> is set for a kind whose open locks funds: the funds for which
/// one of its decisions stands (a group of one round trip checks them under the row lock).
/// </remarks>
public sealed record HoldFlow<TAnswer>(
    string StreamType,
    string IdField,
    Func<IReadOnlyList<object>, FundsRange>? FundsStandFor,
    Func<
        HoldRequest,
        Connection?,
        CurrencyCatalog,
        Quantity,
        string,
        IReadOnlyList<object>
    > Request,
    Func<Hold, SettleDecision> Clear,
    Func<Hold, SettleDecision> Release,
    Func<Hold, HoldTimes?, TAnswer> Answer
)
{
    public bool LocksFunds => FundsStandFor is not null;
}

/// <summary>When a hold was opened and last changed, for status answers.</summary>
public sealed record HoldTimes(DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>An amount as BitGo's answers carry it: quantity as a JSON number of exact digits.</summary>
public sealed record AmountBody(
    string Currency,
    [property: System.Text.Json.Serialization.JsonConverter(
        typeof(Hosting.QuantityAsNumberConverter)
    )]
        Quantity Quantity
)
{
    public static AmountBody From(Amount amount) => new(amount.Currency.Code, amount.Quantity);
}

/// <summary>The status words BitGo uses. A refusal is "released", with the reason alongside.</summary>
public static class BitGoStatus
{
    public static string Of(HoldStatus status) =>
        status switch
        {
            HoldStatus.Reserved => "reserved",
            HoldStatus.Cleared => "cleared",
            HoldStatus.Released or HoldStatus.Rejected => "released",
            _ => throw new InvariantViolationException($"status {status} is never answered"),
        };
}
