using System.Globalization;
using System.Text.RegularExpressions;
using Ledger.Domain;

namespace Ledger.Api.Auditors;

/// <summary>
/// Reads the auditor API's query values strictly: the first failure is kept and names its
/// parameter ("asOf: ..."), the form a 400's "error" member carries. Values arrive as text, so
/// a malformed one is our 400, not the framework's.
/// </summary>
public sealed partial class AuditParameters
{
    /// <summary>PostgreSQL keeps microseconds; a finer instant would not compare exactly.</summary>
    public const int FractionDigitsMax = 6;

    /// <summary>A seq is a bigint; 19 digits hold any positive one.</summary>
    public const int SeqDigitsMax = 19;

    public string? Error { get; private set; }

    /// <summary>
    /// An RFC 3339 date-time with an explicit offset ("2026-11-21T05:13:29.383138Z"), in UTC;
    /// null when absent or malformed.
    /// </summary>
    public DateTimeOffset? Instant(string name, string? text)
    {
        if (text is null)
        {
            return null;
        }
        if (
            !Rfc3339().IsMatch(text)
            || !DateTimeOffset.TryParse(
                text,
                CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal,
                out DateTimeOffset instant
            )
        )
        {
            Fail(
                name,
                "must be an RFC 3339 date-time with an offset, at most "
                    + $"{FractionDigitsMax} fractional digits, e.g. 2026-11-21T05:13:29.383138Z"
            );
            return null;
        }
        return instant.ToUniversalTime();
    }

    /// <summary>A position in the log: plain digits, 0 or more; null if absent or bad.</summary>
    public long? Seq(string name, string? text)
    {
        if (text is null)
        {
            return null;
        }
        if (
            text.Length > SeqDigitsMax
            || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long seq)
        )
        {
            Fail(name, "must be a seq: an integer of plain digits, 0 or more");
            return null;
        }
        return seq;
    }

    public Currency? Currency(string name, string? text)
    {
        if (text is null)
        {
            return null;
        }
        if (!Domain.Currency.TryParse(text, out Currency currency))
        {
            Fail(name, "must be 1 to 64 characters of lower-case letters, digits and :._- only");
            return null;
        }
        return currency;
    }

    public void Fail(string name, string problem) => Error ??= $"{name}: {problem}";

    // \z, not $: $ would also match before a trailing newline.
    private const string Rfc3339Pattern =
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
        + @"(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})\z";

    [GeneratedRegex(Rfc3339Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex Rfc3339();
}
