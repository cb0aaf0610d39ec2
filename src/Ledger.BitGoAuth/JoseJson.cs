using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;

namespace Ledger.BitGoAuth;

/// <summary>
/// Strict JSON reading for JOSE headers and claim sets. RFC 7515 section 4 lets a parser
/// either reject duplicate member names or take the last one; two parsers that choose
/// differently disagree about what a signed token says, so this one rejects them.
/// </summary>
internal static class JoseJson
{
    // Headers and BitGo's claims are flat objects; nesting deeper than this is an attack on
    // the parser, not a token.
    public const int DepthMax = 8;

    private static readonly JsonDocumentOptions Options = new()
    {
        MaxDepth = DepthMax,
        AllowDuplicateProperties = false,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
    };

    /// <summary>Parses UTF-8 JSON whose root must be an object. The caller disposes.</summary>
    public static bool TryParseObject(byte[] utf8, [NotNullWhen(true)] out JsonDocument? document)
    {
        document = null;
        // JsonDocument checks UTF-8 lazily (only when a string is read), so check it up
        // front: invalid bytes must not reach a comparison of member names.
        if (!Utf8.IsValid(utf8))
        {
            return false;
        }
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(utf8, Options);
        }
        catch (JsonException)
        {
            return false;
        }
        if (parsed.RootElement.ValueKind != JsonValueKind.Object)
        {
            parsed.Dispose();
            return false;
        }
        document = parsed;
        return true;
    }

    /// <summary>
    /// Reads a string member. A string whose escapes encode a lone UTF-16 surrogate cannot
    /// become a .NET string, and counts as not a string.
    /// </summary>
    public static bool TryGetString(JsonElement element, [NotNullWhen(true)] out string? text)
    {
        text = null;
        if (element.ValueKind != JsonValueKind.String)
        {
            return false;
        }
        try
        {
            text = element.GetString();
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        return text is not null;
    }
}
