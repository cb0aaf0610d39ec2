using System.Text.Json;
using Ledger.Domain;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Api.Hosting;

/// <summary>
/// Reads a request body strictly, once, at the edge: JSON media type, at most
/// <see cref="Limits.BodyBytesMax"/> bytes, a JSON object, no duplicate keys, bounded depth.
/// Fields BitGo may add later are ignored, never refused, but still count toward the limits.
/// </summary>
public static class JsonBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = Limits.JsonDepthMax,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    /// <summary>The body's root object and raw bytes, or the problem to answer.</summary>
    public static async Task<(JsonElement Root, byte[] Raw, ProblemHttpResult? Problem)> ReadAsync(
        HttpRequest request,
        CancellationToken cancellationToken
    )
    {
        if (!IsJson(request.ContentType))
        {
            return (default, [], Problems.UnsupportedMediaType());
        }
        byte[]? raw = await RawBody.ReadAsync(request, cancellationToken);
        if (raw is null)
        {
            return (default, [], Problems.TooLarge());
        }
        try
        {
            using JsonDocument document = JsonDocument.Parse(raw, DocumentOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (default, raw, Problems.Invalid("body: must be a JSON object"));
            }
            return HasOnlyValidText(document.RootElement)
                ? (document.RootElement.Clone(), raw, null)
                : (
                    default,
                    raw,
                    Problems.Invalid(
                        "body: a string or member name is not valid text (invalid UTF-8 or an "
                            + "unpaired surrogate escape)"
                    )
                );
        }
        catch (JsonException)
        {
            return (
                default,
                raw,
                Problems.Invalid(
                    "body: malformed JSON (syntax, encoding, duplicate key or nesting deeper than "
                        + $"{Limits.JsonDepthMax})"
                )
            );
        }
    }

    /// <summary>
    /// The parser checks syntax, not text: invalid UTF-8 bytes or an unpaired "\ud800" escape
    /// inside a string pass it, and reading that string later throws, which was a 500 (issue 4's
    /// hostile corpus). Every string and member name is read once here instead, so such a body
    /// is a 400 before any field is looked at. The walk is bounded by BodyBytesMax and
    /// JsonDepthMax.
    /// </summary>
    private static bool HasOnlyValidText(JsonElement root)
    {
        try
        {
            ReadAllText(root);
            return true;
        }
        catch (InvalidOperationException)
        {
            // GetString's way of saying the text cannot be transcoded to UTF-16.
            return false;
        }
    }

    private static void ReadAllText(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (JsonProperty member in element.EnumerateObject())
                {
                    _ = member.Name;
                    ReadAllText(member.Value);
                }
                break;
            case JsonValueKind.Array:
                foreach (JsonElement item in element.EnumerateArray())
                {
                    ReadAllText(item);
                }
                break;
            case JsonValueKind.String:
                _ = element.GetString();
                break;
        }
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null
        && contentType
            .Split(';')[0]
            .Trim()
            .Equals("application/json", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Reads named fields of a JSON object, each rule checked once. The first failure is kept and
/// names its field, in the form the 400's "error" member carries ("amount.quantity: ...").
/// </summary>
public sealed class FieldReader(JsonElement root, string prefix = "")
{
    public string? Error { get; private set; }

    public Guid Uuid(string name)
    {
        string? text = Text(name, Limits.IdLengthMax);
        if (text is null)
        {
            return Guid.Empty;
        }
        if (!Ids.TryParse(text, out Guid id))
        {
            Fail(name, Ids.UuidRule);
        }
        return id;
    }

    /// <summary>A required, non-empty string of at most <paramref name="lengthMax"/> characters.</summary>
    public string? Text(string name, int lengthMax)
    {
        JsonElement? value = Required(name);
        if (value is null)
        {
            return null;
        }
        if (value.Value.ValueKind != JsonValueKind.String)
        {
            return Fail<string>(name, "must be a string");
        }
        string text = value.Value.GetString()!;
        if (text.Length == 0 || text.Length > lengthMax)
        {
            return Fail<string>(name, $"must be 1 to {lengthMax} characters");
        }
        return text.Any(char.IsControl)
            ? Fail<string>(name, "must not contain control characters")
            : text;
    }

    /// <summary>
    /// An amount {currency, quantity}. Seed 003 shows quantity as a string in requests and a
    /// number in responses, so both are accepted: either way only canonical positive digits.
    /// </summary>
    public Amount? Amount(string name)
    {
        JsonElement? value = Required(name);
        if (value is null)
        {
            return null;
        }
        if (value.Value.ValueKind != JsonValueKind.Object)
        {
            return Fail<Amount>(name, "must be an object {currency, quantity}");
        }
        var inner = new FieldReader(value.Value, $"{prefix}{name}.");
        string? code = inner.Text("currency", Currency.LengthMax);
        Currency currency = default;
        if (code is not null && !Currency.TryParse(code, out currency))
        {
            inner.Fail("currency", "must be lower-case letters, digits and :._- only");
        }
        Quantity? quantity = inner.Error is null ? inner.PositiveQuantity("quantity") : null;
        Error ??= inner.Error;
        return Error is null ? new Amount(currency, quantity!.Value) : null;
    }

    private Quantity? PositiveQuantity(string name)
    {
        JsonElement? value = Required(name);
        string? digits = value?.ValueKind switch
        {
            JsonValueKind.String => value.Value.GetString(),
            JsonValueKind.Number => value.Value.GetRawText(),
            _ => null,
        };
        if (value is not null && (!Quantity.TryParse(digits, out Quantity q) || q.IsZero))
        {
            Fail(
                name,
                $"must be a positive integer of base units, at most {Quantity.DigitsMax} "
                    + "digits, with no sign, fraction, exponent or leading zero"
            );
            return null;
        }
        return value is null ? null : Quantity.Parse(digits!);
    }

    private JsonElement? Required(string name)
    {
        if (Error is not null)
        {
            return null;
        }
        if (
            !root.TryGetProperty(name, out JsonElement value)
            || value.ValueKind == JsonValueKind.Null
        )
        {
            Fail(name, "is required");
            return null;
        }
        return value;
    }

    private void Fail(string name, string problem) => Error ??= $"{prefix}{name}: {problem}";

    private T? Fail<T>(string name, string problem)
        where T : class
    {
        Fail(name, problem);
        return null;
    }
}
