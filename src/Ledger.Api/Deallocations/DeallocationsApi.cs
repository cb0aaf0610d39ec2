using System.Text.Json.Serialization;
using Ledger.Api.Holds;
using Ledger.Api.Hosting;
using Ledger.Domain.Deallocations;
using Ledger.Domain.Holds;

namespace Ledger.Api.Deallocations;

/// <summary>
/// BitGo's deallocation calls (seed 003): reserve, clear, release, status. The answer carries
/// the request's fields plus partnerDeallocationId, and rejectionReason when refused; a
/// status answer adds BitGo's status word, the reason and timestamps.
/// </summary>
public sealed record DeallocationAnswer(
    Guid DeallocationId,
    AmountBody Amount,
    Guid ClientId,
    Guid ConnectionId,
    string PartnersConnectionId,
    string PartnerClientId,
    string PartnerDeallocationId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RejectionReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Status = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        DateTimeOffset? CreatedAt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        DateTimeOffset? UpdatedAt = null
)
{
    public static DeallocationAnswer From(Hold d, HoldTimes? times) =>
        new(
            d.Id,
            AmountBody.From(d.Request.Amount),
            d.Request.ClientId,
            d.Request.ConnectionId,
            d.Request.PartnersConnectionId,
            d.Request.PartnerClientId,
            d.PartnerReference!,
            d.RejectionReason,
            times is null ? null : BitGoStatus.Of(d.Status),
            times is null ? null : d.RejectionReason,
            times?.CreatedAt,
            times?.UpdatedAt
        );
}

public static class DeallocationsApi
{
    public const string StreamType = "deallocation";

    public static readonly HoldFlow<DeallocationAnswer> Flow = new(
        StreamType,
        IdField: "deallocationId",
        FundsStandFor: DeallocationDecisions.StandsFor,
        DeallocationDecisions.Request,
        DeallocationDecisions.Clear,
        DeallocationDecisions.Release,
        DeallocationAnswer.From
    );

    public static RouteGroupBuilder MapDeallocations(this RouteGroupBuilder bitgo) =>
        bitgo.MapHoldRoutes(Flow, "deallocations");
}
