namespace Ledger.Api.Hosting;

/// <summary>
/// Every input has a named maximum (TigerBeetle style); the README lists them. The unit comes
/// last in each name.
/// </summary>
public static class Limits
{
    /// <summary>A BitGo request is a few hundred bytes; anything over this is refused with 413.</summary>
    public const int BodyBytesMax = 16 * 1024;

    /// <summary>BitGo's bodies nest two levels; a little headroom for fields it may add.</summary>
    public const int JsonDepthMax = 8;

    /// <summary>Ids and currency codes.</summary>
    public const int IdLengthMax = 64;

    /// <summary>The connection token BitGo relays from the partner's user.</summary>
    public const int ConnectionTokenLengthMax = 1_024;

    /// <summary>An operator's free-text reason.</summary>
    public const int ReasonLengthMax = 256;

    /// <summary>Attempts of one write when a racing writer wins; then the answer is 409.</summary>
    public const int WriteAttemptsMax = 5;

    /// <summary>A page of the query API.</summary>
    public const int PageSizeMax = 500;

    public const int PageSizeDefault = 100;
}
