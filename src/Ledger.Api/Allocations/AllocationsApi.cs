using System.Text.Json.Serialization;
using Ledger.Api.Holds;
using Ledger.Api.Hosting;
using Ledger.Domain.Allocations;
using Ledger.Domain.Holds;

namespace Ledger.Api.Allocations;

/// <summary>
/// BitGo's allocation calls: reserve a pending credit, clear it into available, release it,
/// status. The answer carries the request's fields plus partnerAllocationId, and
/// rejectionReason when refused.
/// </summary>
public sealed record AllocationAnswer(
    Guid AllocationId,
    AmountBody Amount,
    Guid ClientId,
    Guid ConnectionId,
    string PartnersConnectionId,
    string PartnerClientId,
    string PartnerAllocationId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RejectionReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Status = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        DateTimeOffset? CreatedAt = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        DateTimeOffset? UpdatedAt = null
)
{
    public static AllocationAnswer From(Hold a, HoldTimes? times) =>
        new(
            a.Id,
            AmountBody.From(a.Request.Amount),
            a.Request.ClientId,
            a.Request.ConnectionId,
            a.Request.PartnersConnectionId,
            a.Request.PartnerClientId,
            a.PartnerReference!,
            a.RejectionReason,
            times is null ? null : BitGoStatus.Of(a.Status),
            times is null ? null : a.RejectionReason,
            times?.CreatedAt,
            times?.UpdatedAt
        );
}

public static class AllocationsApi
{
    public const string StreamType = "allocation";

    public static readonly HoldFlow<AllocationAnswer> Flow = new(
        StreamType,
        IdField: "allocationId",
        FundsStandFor: null,
        (request, connection, currencies, _, partnerId) =>
            AllocationDecisions.Request(request, connection, currencies, partnerId),
        AllocationDecisions.Clear,
        AllocationDecisions.Release,
        AllocationAnswer.From
    );

    public static RouteGroupBuilder MapAllocations(this RouteGroupBuilder bitgo) =>
        bitgo.MapHoldRoutes(Flow, "allocations");
}
