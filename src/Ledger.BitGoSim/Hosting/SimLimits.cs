namespace Ledger.BitGoSim.Hosting;

/// <summary>
/// Every input of the simulator has a named maximum, as in the ledger (style habit 7). The
/// state lives in memory, so the number of records is bounded too.
/// </summary>
public static class SimLimits
{
    /// <summary>
    /// A client request is a few hundred bytes; the signed payload may be a few KiB.
    /// </summary>
    public const int BodyBytesMax = 16 * 1024;

    public const int JsonDepthMax = 8;

    /// <summary>BitGo's enterprise ids are 32 hex digits; names in tests are shorter.</summary>
    public const int EnterpriseIdLengthMax = 64;

    /// <summary>clientExternalId, nonce and notes.</summary>
    public const int TextLengthMax = 256;

    /// <summary>The client's signed intent: payload and signature.</summary>
    public const int SignedTextLengthMax = 8 * 1024;

    /// <summary>The connection token BitGo relays to the partner; the ledger takes 1,024.</summary>
    public const int ConnectionTokenLengthMax = 1_024;

    public const int ClientTokenLengthMin = 16;

    /// <summary>
    /// Allocations plus deallocations kept in memory; more is a 503, never an eviction.
    /// </summary>
    public const int TransfersMax = 100_000;

    public const int ConnectionsMax = 10_000;

    /// <summary>
    /// Partner calls and client answers remembered per transfer, for its timeline.
    /// </summary>
    public const int TimelineEntriesMax = 64;

    /// <summary>
    /// One partner call; an unanswered call leaves the transfer reserved and retriable.
    /// </summary>
    public const int PartnerCallTimeoutSeconds = 10;

    public const int PartnerConnectTimeoutSeconds = 2;

    public static bool IsEnterpriseId(string? text) =>
        text is { Length: > 0 and <= EnterpriseIdLengthMax }
        && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
