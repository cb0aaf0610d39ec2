using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Security;

/// <summary>What a body field holds, which decides the hostile values it gets.</summary>
public enum FieldKind
{
    Uuid,
    Text,
    Currency,
    Quantity,
    Amount,
}

/// <summary>One field of a BitGo body; a dotted path reaches into the amount.</summary>
public sealed record CorpusField(string Path, FieldKind Kind, int LengthMax = 0);

/// <summary>A BitGo endpoint that takes a body, and a valid body for it.</summary>
public sealed record BodyEndpoint(
    string Name,
    string Path,
    IReadOnlyList<CorpusField> Fields,
    Func<TestConnection, JsonObject> ValidBody
);

/// <summary>A BitGo endpoint with an id in its path.</summary>
public sealed record PathEndpoint(
    string Name,
    HttpMethod Method,
    string PathBefore,
    string PathAfter
);

/// <summary>A hostile body: its exact bytes, its content type (null: none), and whether its
/// length is announced.</summary>
public sealed record HostileBody(
    byte[] Bytes,
    string? ContentType = "application/json",
    bool Chunked = false
);

/// <summary>One hostile request, named "endpoint / case" in the test list.</summary>
public sealed record HostileCase(
    string Endpoint,
    string Name,
    Func<TestConnection, RawRequest> Build
);

/// <summary>
/// The hostile-input corpus of issue 4, generated in code so that every field of every BitGo
/// endpoint gets every hostile value its kind admits, and so that a field added later is one
/// line here. Each case starts from a body the ledger would accept and breaks one thing, so a
/// 4xx can only come from that thing. SQL metacharacters in free-text fields are not here:
/// there they are legitimate data, and <see cref="HostileInputTests"/> checks they are stored
/// verbatim instead.
/// </summary>
public static class HostileCorpus
{
    public const string SqlMetacharacters = "'; DROP TABLE ledger.events;--";

    private const string Marker = "__hostile_value__";

    private const int BodyBytesMax = 16 * 1024;

    private static readonly JsonSerializerOptions Relaxed = new()
    {
        // Non-ASCII text (fullwidth digits, homoglyphs) is sent as raw UTF-8, not as \u escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static readonly IReadOnlyList<BodyEndpoint> BodyEndpoints =
    [
        new(
            "post_connections",
            "/bitgo/v1/connections",
            [
                new("connectionId", FieldKind.Uuid, 64),
                new("clientId", FieldKind.Uuid, 64),
                new("clientWalletId", FieldKind.Text, 64),
                new("partnerId", FieldKind.Uuid, 64),
                new("connectionToken", FieldKind.Text, 1024),
            ],
            _ => ConnectionBody()
        ),
        new(
            "post_allocations",
            "/bitgo/v1/allocations",
            HoldFields("allocationId"),
            c => HoldKind.Allocation.Body(Guid.NewGuid(), c, "btc", "5")
        ),
        new(
            "post_deallocations",
            "/bitgo/v1/deallocations",
            HoldFields("deallocationId"),
            c => HoldKind.Deallocation.Body(Guid.NewGuid(), c, "btc", "5")
        ),
    ];

    public static readonly IReadOnlyList<PathEndpoint> PathEndpoints =
    [
        new("put_allocation_clear", HttpMethod.Put, "/bitgo/v1/allocation/", "/clear"),
        new("put_allocation_release", HttpMethod.Put, "/bitgo/v1/allocation/", "/release"),
        new("get_allocation", HttpMethod.Get, "/bitgo/v1/allocation/", ""),
        new("put_deallocation_clear", HttpMethod.Put, "/bitgo/v1/deallocation/", "/clear"),
        new("put_deallocation_release", HttpMethod.Put, "/bitgo/v1/deallocation/", "/release"),
        new("get_deallocation", HttpMethod.Get, "/bitgo/v1/deallocation/", ""),
    ];

    public static readonly IReadOnlyList<HostileCase> Cases =
    [
        .. BodyEndpoints.SelectMany(BodyCases),
        .. PathEndpoints.SelectMany(PathCases),
        .. BodyEndpoints.SelectMany(e => MethodCases(e.Name, e.Path)),
        .. PathEndpoints.SelectMany(e =>
            MethodCases(e.Name, e.PathBefore + Guid.NewGuid() + e.PathAfter)
        ),
    ];

    private static readonly Dictionary<string, HostileCase> CasesByKey = Cases.ToDictionary(
        c => Key(c.Endpoint, c.Name),
        StringComparer.Ordinal
    );

    public static TheoryData<string, string> All()
    {
        var data = new TheoryData<string, string>();
        foreach (HostileCase hostile in Cases)
        {
            data.Add(hostile.Endpoint, hostile.Name);
        }
        return data;
    }

    public static HostileCase Find(string endpoint, string name) => CasesByKey[Key(endpoint, name)];

    /// <summary>A body serialized the way the corpus writes every body (raw UTF-8 text).</summary>
    public static string Write(JsonNode body) => body.ToJsonString(Relaxed);

    public static string JsonString(string text) => JsonSerializer.Serialize(text, Relaxed);

    private static string Key(string endpoint, string name) => endpoint + "/" + name;

    /// <summary>A valid POST /bitgo/v1/connections body for a fresh connection.</summary>
    public static JsonObject ConnectionBody()
    {
        Guid connectionId = Guid.NewGuid();
        return new JsonObject
        {
            ["clientId"] = Guid.NewGuid().ToString(),
            ["clientWalletId"] = "wallet-" + connectionId.ToString("N")[..8],
            ["connectionId"] = connectionId.ToString(),
            ["connectionToken"] = "token-" + connectionId.ToString("N"),
            ["partnerId"] = Guid.NewGuid().ToString(),
        };
    }

    private static IReadOnlyList<CorpusField> HoldFields(string idField) =>
        [
            new(idField, FieldKind.Uuid, 64),
            new("amount", FieldKind.Amount),
            new("amount.currency", FieldKind.Currency, 64),
            new("amount.quantity", FieldKind.Quantity),
            new("clientId", FieldKind.Uuid, 64),
            new("connectionId", FieldKind.Uuid, 64),
            new("partnersConnectionId", FieldKind.Text, 64),
            new("partnerClientId", FieldKind.Text, 64),
        ];

    // ---- Body cases -------------------------------------------------------------------------

    private static IEnumerable<HostileCase> BodyCases(BodyEndpoint endpoint)
    {
        IEnumerable<(string Name, Func<JsonObject, HostileBody> Write)> cases =
        [
            .. endpoint.Fields.SelectMany(FieldCases),
            .. WholeBodyCases(endpoint),
        ];
        return cases.Select(c => new HostileCase(
            endpoint.Name,
            c.Name,
            connection =>
            {
                HostileBody body = c.Write(endpoint.ValidBody(connection));
                return new RawRequest(HttpMethod.Post, endpoint.Path, body.Bytes, body.ContentType)
                {
                    Chunked = body.Chunked,
                };
            }
        ));
    }

    /// <summary>Every hostile value of one field, each named "field_problem".</summary>
    private static IEnumerable<(string, Func<JsonObject, HostileBody>)> FieldCases(
        CorpusField field
    )
    {
        foreach ((string problem, string? rawValue) in FieldValues(field))
        {
            yield return (
                $"{field.Path}_{problem}",
                body =>
                    Text(
                        rawValue is null
                            ? Without(body, field.Path)
                            : WithRawValue(body, field.Path, rawValue)
                    )
            );
        }
        yield return ($"{field.Path}_duplicate_key", body => Text(WithDuplicate(body, field)));
        if (field.Kind is FieldKind.Uuid or FieldKind.Text or FieldKind.Currency)
        {
            yield return (
                $"{field.Path}_invalid_utf8_byte",
                body => Utf8Breaking(body, field.Path, [(byte)'a', 0xFF, (byte)'b'])
            );
        }
    }

    /// <summary>Each hostile value as raw JSON text; null means the field is left out.</summary>
    private static IEnumerable<(string Problem, string? RawValue)> FieldValues(CorpusField field)
    {
        yield return ("null", "null");
        yield return ("missing", null);
        yield return ("as_true", "true");
        yield return ("as_array", "[]");
        IEnumerable<(string, string?)> byKind = field.Kind switch
        {
            FieldKind.Uuid => [.. StringValues(field), .. UuidValues()],
            FieldKind.Text => StringValues(field),
            FieldKind.Currency => [.. StringValues(field), .. CurrencyValues()],
            FieldKind.Quantity => QuantityValues(),
            FieldKind.Amount => AmountValues(),
            _ => throw new ArgumentOutOfRangeException(nameof(field), field.Kind, "unknown kind"),
        };
        foreach ((string, string?) value in byKind)
        {
            yield return value;
        }
    }

    private static IEnumerable<(string, string?)> StringValues(CorpusField field) =>
        [
            ("as_number", "42"),
            ("as_object", "{}"),
            ("empty_string", "\"\""),
            (
                $"overlong_{field.LengthMax + 1}_chars",
                JsonString(new string('a', field.LengthMax + 1))
            ),
            ("control_character_bell", JsonString("ab\u0007cd")),
            ("control_character_nul", JsonString("ab\0cd")),
            ("control_character_newline", JsonString("ab\ncd")),
            ("raw_unescaped_control_byte", "\"ab\u0001cd\""),
            ("lone_surrogate_escape", "\"ab\\ud800cd\""),
        ];

    private static IEnumerable<(string, string?)> UuidValues()
    {
        Guid id = Guid.NewGuid();
        return
        [
            ("sql_metacharacters", JsonString(SqlMetacharacters)),
            ("sql_after_uuid", JsonString(id + "' OR '1'='1")),
            ("path_traversal", JsonString("../../../etc/passwd")),
            ("encoded_path_traversal", JsonString("%2e%2e%2f%2e%2e%2fconnections")),
            ("uuid_in_braces", JsonString("{" + id + "}")),
            ("uuid_without_hyphens", JsonString(id.ToString("N"))),
            ("uuid_with_trailing_space", JsonString(id + " ")),
            ("uuid_in_fullwidth_digits", JsonString(Fullwidth(id.ToString()))),
        ];
    }

    private static IEnumerable<(string, string?)> CurrencyValues() =>
        [
            ("sql_metacharacters", JsonString(SqlMetacharacters)),
            ("upper_case", JsonString("BTC")),
            ("cyrillic_homoglyph", JsonString("bt\u0441")),
            ("path_traversal", JsonString("../btc")),
            ("inner_space", JsonString("b tc")),
        ];

    /// <summary>Quantity: a string or number of canonical positive digits, nothing else.</summary>
    private static IEnumerable<(string, string?)> QuantityValues()
    {
        string tenToThe400 = "1" + new string('0', 400);
        return
        [
            ("as_object", "{}"),
            ("empty_string", "\"\""),
            ("number_10e400", tenToThe400),
            ("string_10e400", JsonString(tenToThe400)),
            ("number_79_digits", "1" + new string('2', 78)),
            ("number_negative_zero", "-0"),
            ("string_negative_zero", JsonString("-0")),
            ("number_negative", "-5"),
            ("string_negative", JsonString("-5")),
            ("number_zero", "0"),
            ("string_zero", JsonString("0")),
            ("number_exponent_1e3", "1e3"),
            ("string_exponent_1e3", JsonString("1e3")),
            ("number_fraction", "1.5"),
            ("number_integral_fraction", "5.0"),
            ("string_hex_0x10", JsonString("0x10")),
            ("literal_hex_0x10", "0x10"),
            ("string_leading_plus", JsonString("+5")),
            ("literal_leading_plus", "+5"),
            ("string_leading_zero", JsonString("05")),
            ("string_whitespace_padded", JsonString(" 5 ")),
            ("string_fullwidth_digits", JsonString("\uFF15")),
            ("string_arabic_indic_digits", JsonString("\u0665")),
            ("string_devanagari_digits", JsonString("\u096B")),
            ("literal_nan", "NaN"),
            ("literal_infinity", "Infinity"),
            ("string_sql_metacharacters", JsonString("5" + SqlMetacharacters)),
            ("string_control_character", JsonString("5\u0000")),
        ];
    }

    private static IEnumerable<(string, string?)> AmountValues() =>
        [
            ("as_number", "5"),
            ("as_string", JsonString("5 btc")),
            ("as_pair_array", "[\"btc\",\"5\"]"),
            ("empty_object", "{}"),
            (
                "nested_deeper_than_8",
                "{\"currency\":\"btc\",\"quantity\":\"5\",\"x\":"
                    + new string('[', 9)
                    + new string(']', 9)
                    + "}"
            ),
        ];

    /// <summary>Breaks the body as a whole: syntax, encoding, size, media type.</summary>
    private static IEnumerable<(string, Func<JsonObject, HostileBody>)> WholeBodyCases(
        BodyEndpoint endpoint
    )
    {
        string firstText = endpoint.Fields.First(f => f.Kind == FieldKind.Text).Path;
        string firstField = endpoint.Fields[0].Path;
        return
        [
            ("body_empty", _ => Text("")),
            ("body_whitespace_only", _ => Text(" \r\n\t ")),
            ("body_null_literal", _ => Text("null")),
            ("body_array_of_valid_body", b => Text("[" + Write(b) + "]")),
            ("body_string", _ => Text("\"hello\"")),
            ("body_number", _ => Text("42")),
            ("body_true", _ => Text("true")),
            ("truncated_missing_last_brace", b => Text(Write(b)[..^1])),
            ("truncated_at_half", b => Text(Write(b)[..(Write(b).Length / 2)])),
            ("truncated_inside_first_string", b => Text(Write(b)[..(Write(b).IndexOf(':') + 4)])),
            ("truncated_to_open_brace", _ => Text("{")),
            ("trailing_comma", b => Text(Write(b)[..^1] + ",}")),
            ("line_comment", b => Text(Write(b)[..^1] + "//comment\n}")),
            ("block_comment", b => Text("/*comment*/" + Write(b))),
            ("single_quoted", b => Text(Write(b).Replace('"', '\''))),
            (
                "unquoted_key",
                b =>
                    Text(
                        Write(b).Replace($"\"{firstField}\"", firstField, StringComparison.Ordinal)
                    )
            ),
            ("two_bodies_concatenated", b => Text(Write(b) + Write(b))),
            ("trailing_garbage", b => Text(Write(b) + "x")),
            ("nested_9_arrays_in_extra_field", b => Text(WithExtra(b, NestedArrays(9)))),
            ("nested_9_objects_in_extra_field", b => Text(WithExtra(b, NestedObjects(9)))),
            (
                "nested_100000_open_arrays_in_extra_field",
                b => Text(WithExtra(b, new string('[', 100_000)))
            ),
            ("utf8_bom_prefixed", b => Prefixed([0xEF, 0xBB, 0xBF], b)),
            ("invalid_utf8_overlong_slash", b => Utf8Breaking(b, firstText, [0xC0, 0xAF])),
            (
                "invalid_utf8_lone_continuation_byte",
                b => Utf8Breaking(b, firstText, [(byte)'a', 0x80])
            ),
            ("invalid_utf8_truncated_sequence", b => Utf8Breaking(b, firstText, [0xE2, 0x82])),
            ("invalid_utf8_encoded_surrogate", b => Utf8Breaking(b, firstText, [0xED, 0xA0, 0x80])),
            ("invalid_utf8_byte_before_body", b => Prefixed([0xFF], b)),
            ("utf16_encoded_body", b => new HostileBody(Encoding.Unicode.GetBytes(Write(b)))),
            (
                "utf16_encoded_body_declared_in_charset",
                b => new HostileBody(
                    Encoding.Unicode.GetBytes(Write(b)),
                    "application/json; charset=utf-16"
                )
            ),
            ("nul_byte_after_body", b => Text(Write(b) + "\0")),
            ("oversized_16_KiB_plus_1_in_extra_field", b => Oversized(b)),
            ("oversized_16_KiB_plus_1_whitespace", b => Text(Write(b).PadRight(BodyBytesMax + 1))),
            (
                "oversized_20_KiB_without_content_length",
                b => Text(Write(b).PadRight(20 * 1024)) with { Chunked = true }
            ),
            ("oversized_1_MiB", b => Text(Write(b).PadRight(1024 * 1024))),
            ("content_type_text_plain", b => Text(Write(b)) with { ContentType = "text/plain" }),
            (
                "content_type_form_urlencoded",
                b => Text(FormOf(b)) with { ContentType = "application/x-www-form-urlencoded" }
            ),
            (
                "content_type_form_with_json_body",
                b => Text(Write(b)) with { ContentType = "application/x-www-form-urlencoded" }
            ),
            ("content_type_missing", b => Text(Write(b)) with { ContentType = null }),
            ("content_type_multipart", b => Typed(b, "multipart/form-data; boundary=x")),
            ("content_type_xml", _ => Text("<a>1</a>") with { ContentType = "application/xml" }),
            ("content_type_json_lookalike", b => Typed(b, "application/jsonp")),
            ("content_type_vendor_json", b => Typed(b, "application/vnd.api+json")),
        ];
    }

    // ---- Path cases -------------------------------------------------------------------------

    private static IEnumerable<HostileCase> PathCases(PathEndpoint endpoint) =>
        [
            .. HostileIds()
                .Select(id => new HostileCase(
                    endpoint.Name,
                    "id_" + id.Name,
                    _ => new RawRequest(
                        endpoint.Method,
                        endpoint.PathBefore + id.Segment + endpoint.PathAfter,
                        null,
                        null
                    )
                )),
            // Traversal to a path no route matches, from a client that accepts only HTML: the 404
            // comes from routing, not from a handler, and must still be ProblemDetails.
            new(
                endpoint.Name,
                "id_dot_dot_slash_to_no_route_accepting_only_html",
                _ => new RawRequest(
                    endpoint.Method,
                    endpoint.PathBefore + "../../../nothing" + endpoint.PathAfter,
                    null,
                    null
                )
                {
                    Accept = "text/html",
                }
            ),
        ];

    /// <summary>Methods the route does not take: routing's 405, whatever is accepted.</summary>
    private static IEnumerable<HostileCase> MethodCases(string endpoint, string path) =>
        [
            new(
                endpoint,
                "method_delete",
                _ => new RawRequest(HttpMethod.Delete, path, null, null)
            ),
            new(
                endpoint,
                "method_patch_with_body",
                _ => new RawRequest(HttpMethod.Patch, path, "{}"u8.ToArray())
            ),
            new(
                endpoint,
                "method_delete_accepting_only_html",
                _ => new RawRequest(HttpMethod.Delete, path, null, null) { Accept = "text/html" }
            ),
            new(
                endpoint,
                "method_delete_accepting_only_xml",
                _ => new RawRequest(HttpMethod.Delete, path, null, null)
                {
                    Accept = "application/xml",
                }
            ),
        ];

    /// <summary>Hostile path ids, as they go on the wire (percent-encoded where noted).</summary>
    private static IEnumerable<(string Name, string Segment)> HostileIds()
    {
        Guid id = Guid.NewGuid();
        return
        [
            ("dot_dot_slash", "../../connections"),
            ("half_encoded_dot_dot_slash", "%2e%2e/%2e%2e/connections"),
            ("encoded_dot_dot_slash", "%2e%2e%2f%2e%2e%2fconnections"),
            ("encoded_dot_dot_slash_upper_case", "%2E%2E%2F%2E%2E%2Fconnections"),
            ("encoded_slash", "a%2Fb"),
            ("double_encoded_slash", "a%252Fb"),
            ("encoded_backslash_traversal", "..%5C..%5Cconnections"),
            ("sql_metacharacters", Uri.EscapeDataString(SqlMetacharacters)),
            ("sql_after_uuid", Uri.EscapeDataString(id + "' OR '1'='1")),
            // %00 is not here: Kestrel refuses a NUL in the path before the app sees it, and
            // TestServer's client throws on it, so it cannot reach the ledger either way.
            ("encoded_control_character", "%01"),
            ("encoded_crlf", "%0D%0A"),
            ("overlong_65_chars", new string('a', 65)),
            ("overlong_4000_chars", new string('9', 4000)),
            ("uuid_with_extra_digit", id + "0"),
            ("uuid_in_braces", "%7B" + id + "%7D"),
            ("uuid_without_hyphens", id.ToString("N")),
            ("uuid_with_encoded_trailing_space", id + "%20"),
            ("uuid_in_fullwidth_digits", Uri.EscapeDataString(Fullwidth(id.ToString()))),
            ("arabic_indic_digits", Uri.EscapeDataString("\u0660\u0661\u0662")),
            ("empty", ""),
            ("space", "%20"),
            ("right_to_left_override", "%E2%80%AE" + id),
            ("invalid_percent_escape", "%zz"),
            ("invalid_utf8_percent_escape", "%C0%AF"),
            ("matrix_parameter", id + ";x=1"),
            ("nil_uuid_unknown", Guid.Empty.ToString()),
            ("unknown_uuid_upper_case", Guid.NewGuid().ToString().ToUpperInvariant()),
        ];
    }

    // ---- Writing helpers --------------------------------------------------------------------

    private static HostileBody Text(string text) => new(Encoding.UTF8.GetBytes(text));

    private static HostileBody Typed(JsonObject body, string contentType) =>
        Text(Write(body)) with
        {
            ContentType = contentType,
        };

    private static HostileBody Prefixed(byte[] prefix, JsonObject body) =>
        new([.. prefix, .. Encoding.UTF8.GetBytes(Write(body))]);

    private static string NestedArrays(int depth) =>
        new string('[', depth) + new string(']', depth);

    private static string Without(JsonObject body, string path)
    {
        JsonObject copy = body.DeepClone().AsObject();
        Parent(copy, path, out string leaf).Remove(leaf);
        return Write(copy);
    }

    /// <summary>The body with one field's value replaced by raw JSON text, valid or not.</summary>
    private static string WithRawValue(JsonObject body, string path, string rawValue)
    {
        JsonObject copy = body.DeepClone().AsObject();
        Parent(copy, path, out string leaf)[leaf] = Marker;
        return Write(copy).Replace(JsonString(Marker), rawValue, StringComparison.Ordinal);
    }

    /// <summary>The field appears twice in its object, the first time with another value.</summary>
    private static string WithDuplicate(JsonObject body, CorpusField field)
    {
        string leaf = field.Path.Split('.')[^1];
        string other = field.Kind switch
        {
            FieldKind.Quantity => "\"7\"",
            FieldKind.Amount => "{\"currency\":\"eth\",\"quantity\":\"7\"}",
            FieldKind.Uuid => JsonString(Guid.NewGuid().ToString()),
            _ => JsonString("other"),
        };
        string text = Write(body);
        string key = JsonString(leaf) + ":";
        int at = text.IndexOf(key, StringComparison.Ordinal);
        return text[..at] + key + other + "," + text[at..];
    }

    /// <summary>The body with invalid UTF-8 bytes inside one field's string value.</summary>
    private static HostileBody Utf8Breaking(JsonObject body, string path, byte[] bytes)
    {
        byte[] text = Encoding.UTF8.GetBytes(WithRawValue(body, path, JsonString(Marker)));
        byte[] marker = Encoding.UTF8.GetBytes(Marker);
        int at = text.AsSpan().IndexOf(marker);
        return new HostileBody([
            .. text.AsSpan(0, at),
            .. bytes,
            .. text.AsSpan(at + marker.Length),
        ]);
    }

    private static string WithExtra(JsonObject body, string rawValue) =>
        Write(body)[..^1] + ",\"extra\":" + rawValue + "}";

    private static HostileBody Oversized(JsonObject body)
    {
        string withEmptyPadding = WithExtra(body, "\"\"");
        int paddingChars = BodyBytesMax + 1 - Encoding.UTF8.GetByteCount(withEmptyPadding);
        return Text(WithExtra(body, JsonString(new string('p', paddingChars))));
    }

    private static string NestedObjects(int depth) =>
        string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);

    private static string FormOf(JsonObject body) =>
        string.Join(
            '&',
            body.Where(p => p.Value is JsonValue)
                .Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value!.GetValue<string>()))
        );

    private static string Fullwidth(string text) =>
        string.Concat(text.Select(c => char.IsAsciiDigit(c) ? (char)('\uFF10' + (c - '0')) : c));

    private static JsonObject Parent(JsonObject root, string path, out string leaf)
    {
        string[] parts = path.Split('.');
        JsonObject parent = root;
        foreach (string part in parts[..^1])
        {
            parent = parent[part]!.AsObject();
        }
        leaf = parts[^1];
        return parent;
    }
}
