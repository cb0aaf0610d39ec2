using System.Globalization;
using Ledger.Api.Hosting;
using Ledger.Domain;

namespace Ledger.Api.Queries;

/// <summary>
/// Reads query-string values strictly, each rule once. The first failure is kept and names its
/// parameter, in the form the 400's "error" member carries ("limit: ..."). Values are bound as
/// strings so that a malformed one is our 400 with that member, not the framework's.
/// </summary>
public sealed class QueryReader
{
    /// <summary>The ledger's status words a list may be filtered by.</summary>
    public static readonly IReadOnlyList<string> StatusWords =
    [
        "reserved",
        "rejected",
        "cleared",
        "released",
    ];

    public string? Error { get; private set; }

    /// <summary>An optional UUID; null when absent or malformed (then Error says why).</summary>
    public Guid? Uuid(string name, string? text)
    {
        if (text is null)
        {
            return null;
        }
        if (!Ids.TryParse(text, out Guid id))
        {
            Fail(name, Ids.UuidRule);
            return null;
        }
        return id;
    }

    /// <summary>An optional integer from min to max, in plain digits; fallback if absent.</summary>
    public int Integer(string name, string? text, int fallback, int min, int max)
    {
        if (text is null)
        {
            return fallback;
        }
        if (
            text.Length > Limits.IdLengthMax
            || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
            || value < min
            || value > max
        )
        {
            Fail(name, $"must be an integer from {min} to {max}");
            return fallback;
        }
        return value;
    }

    public int PageSize(string? text) =>
        Integer("limit", text, Limits.PageSizeDefault, 1, Limits.PageSizeMax);

    public string? Status(string? text)
    {
        if (text is null || StatusWords.Contains(text, StringComparer.Ordinal))
        {
            return text;
        }
        Fail("status", "must be one of " + string.Join(", ", StatusWords));
        return null;
    }

    public string? Currency(string? text)
    {
        if (text is null || Domain.Currency.TryParse(text, out Currency _))
        {
            return text;
        }
        Fail("currency", "must be 1 to 64 characters of lower-case letters, digits and :._- only");
        return null;
    }

    private void Fail(string name, string problem) => Error ??= $"{name}: {problem}";
}
