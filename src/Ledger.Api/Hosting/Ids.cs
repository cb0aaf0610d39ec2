namespace Ledger.Api.Hosting;

/// <summary>
/// The one way an id is read at the edge: exactly 36 characters in 8-4-4-4-12 hex form.
/// Guid.TryParseExact alone trims white space, which would let "&lt;uuid&gt; " through.
/// </summary>
public static class Ids
{
    public const int UuidLength = 36;

    public const string UuidRule = "must be a UUID (8-4-4-4-12 hex digits)";

    public static bool TryParse(string? text, out Guid id)
    {
        id = Guid.Empty;
        return text is { Length: UuidLength } && Guid.TryParseExact(text, "D", out id);
    }
}
