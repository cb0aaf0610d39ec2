namespace Ledger.BitGoSim.Transfers;

/// <summary>An amount as seed 000 writes it: the quantity a string of base units.</summary>
public sealed record AmountView(string Currency, string Quantity);

/// <summary>
/// Seed 000's deallocation object (and its allocation twin). partnerExternalId is the
/// partner's partnerDeallocationId or partnerAllocationId; reason is set when released. Null
/// members are left out (<see cref="Hosting.SimJson.Options"/>), as seed 000 marks them optional.
/// </summary>
public sealed record TransferView(
    Guid Id,
    AmountView Amount,
    Guid ConnectionId,
    string ClientExternalId,
    string? PartnerExternalId,
    string InitiatedBy,
    string? Notes,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    bool Retriable,
    string Status,
    string? Reason
)
{
    public static TransferView Of(TransferRecord record) => Of(record, record.State);

    public static TransferView Of(TransferRecord record, TransferState state)
    {
        TransferRequest request = record.Request;
        return new TransferView(
            record.Id,
            new AmountView(request.Amount.Currency.Code, request.Amount.Quantity.ToString()),
            request.ConnectionId,
            request.ClientExternalId,
            state.PartnerExternalId,
            InitiatorOf(record.EnterpriseId),
            request.Notes,
            record.CreatedAt,
            state.UpdatedAt,
            state.Retriable,
            TransferStatusWords.Of(state.Status),
            state.Reason
        );
    }

    /// <summary>
    /// The enterprise's client user: the simulator knows callers only by enterprise.
    /// </summary>
    public static string InitiatorOf(string enterpriseId) => $"client@{enterpriseId}";
}
