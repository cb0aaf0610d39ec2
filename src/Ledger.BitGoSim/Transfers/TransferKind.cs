namespace Ledger.BitGoSim.Transfers;

/// <summary>
/// Allocation or deallocation: the two share one flow at BitGo (reserve at the partner, then
/// clear), and differ only in names and paths. The client's id field becomes the partner's
/// id field; the partner's reference comes back as the client's partnerExternalId.
/// </summary>
public sealed record TransferKind(string Name, string PartnerIdField, string PartnerReferenceField)
{
    public static readonly TransferKind Allocation = new(
        "allocation",
        "allocationId",
        "partnerAllocationId"
    );

    public static readonly TransferKind Deallocation = new(
        "deallocation",
        "deallocationId",
        "partnerDeallocationId"
    );

    /// <summary>POST here reserves: seed 003's step 1.</summary>
    public string PartnerOpenPath => $"/bitgo/v1/{Name}s";

    /// <summary>PUT .../clear or .../release settles; GET reads the partner's status.</summary>
    public string PartnerItemPath(Guid id) => $"/bitgo/v1/{Name}/{id}";

    public override string ToString() => Name;
}

/// <summary>
/// Where a transfer stands at BitGo. Requested means the partner has not confirmed a hold:
/// it may or may not exist, so the client is told "reserved" and may retry.
/// </summary>
public enum TransferStatus
{
    Requested,
    Reserved,
    Cleared,
    Released,
}

public static class TransferStatusWords
{
    /// <summary>Seed 000's words. An unconfirmed hold is "reserved": BitGo's 500 says so.</summary>
    public static string Of(TransferStatus status) =>
        status switch
        {
            TransferStatus.Requested or TransferStatus.Reserved => "reserved",
            TransferStatus.Cleared => "cleared",
            TransferStatus.Released => "released",
            _ => throw new ArgumentOutOfRangeException(nameof(status), status, "no such status"),
        };

    public static bool IsFinal(TransferStatus status) =>
        status is TransferStatus.Cleared or TransferStatus.Released;
}
