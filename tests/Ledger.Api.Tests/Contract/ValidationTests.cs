using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;

namespace Ledger.Api.Tests.Contract;

/// <summary>
/// Bad input is refused at the edge, before anything is read or written: 400 ProblemDetails
/// whose "error" names the field ("amount.quantity: ..."), 413 for a body over 16 KiB (issue
/// 4), 415 for a body that is not JSON. None of them appends anything. Fields BitGo may add
/// later are ignored.
/// </summary>
public sealed class ValidationTests(LedgerApiFixture fixture) : IClassFixture<LedgerApiFixture>
{
    private const string Currency = "btc";

    /// <summary>Issue 4: a BitGo request is a few hundred bytes; over 16 KiB is refused.</summary>
    private const int BodyBytesMax = 16 * 1024;

    private const string SeventyNineDigits =
        "1234567890123456789012345678901234567890123456789012345678901234567890123456789";

    /// <summary>A malformed hold body: the field its 400 must name, and how to write it.</summary>
    private sealed record BadBody(
        string Name,
        string Field,
        Func<HoldKind, JsonObject, string> Write
    );

    private static readonly IReadOnlyList<BadBody> BadBodies =
    [
        .. MalformedUuids(),
        .. MissingFields(),
        Quantity("negative_string", "\"-1\""),
        Quantity("negative_number", "-1"),
        Quantity("zero_string", "\"0\""),
        Quantity("zero_number", "0"),
        Quantity("decimal_string", "\"1.5\""),
        Quantity("decimal_number", "1.5"),
        Quantity("integral_decimal_number", "5.0"),
        Quantity("exponent_string", "\"1e3\""),
        Quantity("exponent_number", "1e3"),
        Quantity("leading_zero_string", "\"007\""),
        Quantity("plus_sign_string", "\"+5\""),
        Quantity("spaced_string", "\" 5\""),
        Quantity("empty_string", "\"\""),
        Quantity("non_ascii_digits_string", "\"\\u0665\""),
        Quantity("seventy_nine_digit_string", $"\"{SeventyNineDigits}\""),
        Quantity("seventy_nine_digit_number", SeventyNineDigits),
        Quantity("boolean", "true"),
        Quantity("object", "{}"),
        Replace("empty_currency", "amount.currency", b => b["amount"]!["currency"] = ""),
        Replace("upper_case_currency", "amount.currency", b => b["amount"]!["currency"] = "BTC"),
        Replace("currency_as_number", "amount.currency", b => b["amount"]!["currency"] = 5),
        Replace("amount_as_string", "amount", b => b["amount"] = "5 btc"),
        Replace("amount_as_array", "amount", b => b["amount"] = new JsonArray("btc", "5")),
        Replace("clientId_as_number", "clientId", b => b["clientId"] = 42),
        Replace(
            "partnersConnectionId_as_number",
            "partnersConnectionId",
            b => b["partnersConnectionId"] = 7
        ),
        Replace(
            "partnerClientId_as_object",
            "partnerClientId",
            b => b["partnerClientId"] = new JsonObject()
        ),
        Replace(
            "empty_partnersConnectionId",
            "partnersConnectionId",
            b => b["partnersConnectionId"] = ""
        ),
        Replace(
            "overlong_partnerClientId",
            "partnerClientId",
            b => b["partnerClientId"] = new string('p', 65)
        ),
        Raw("body_array", "body", (_, b) => $"[{b.ToJsonString()}]"),
        Raw("body_string", "body", (_, _) => "\"deallocate\""),
        Raw("body_number", "body", (_, _) => "42"),
        Raw("body_null", "body", (_, _) => "null"),
        Raw("body_empty", "body", (_, _) => ""),
        Raw("body_truncated", "body", (_, b) => b.ToJsonString()[..^1]),
        Raw("body_trailing_comma", "body", (_, b) => b.ToJsonString()[..^1] + ",}"),
        Raw(
            "duplicate_key",
            "body",
            (_, b) => DuplicateFirstKey(b, "clientId", Guid.NewGuid().ToString())
        ),
        Raw(
            "duplicate_identical_key",
            "body",
            (_, b) => DuplicateFirstKey(b, "clientId", b["clientId"]!.GetValue<string>())
        ),
        Raw(
            "duplicate_nested_key",
            "body",
            (_, b) =>
                b.ToJsonString()
                    .Replace(
                        "\"currency\":",
                        "\"currency\":\"eth\",\"currency\":",
                        StringComparison.Ordinal
                    )
        ),
        Raw(
            "nesting_deeper_than_8",
            "body",
            (_, b) =>
                b.ToJsonString()[..^1] + ",\"x\":" + new string('[', 9) + new string(']', 9) + "}"
        ),
        // JSON itself forbids a number with a leading zero, so the body is malformed.
        Raw(
            "quantity_leading_zero_number",
            "body",
            (_, b) =>
                b.ToJsonString()
                    .Replace("\"quantity\":\"5\"", "\"quantity\":007", StringComparison.Ordinal)
        ),
    ];

    public static TheoryData<string, string> BadBodyCases()
    {
        var data = new TheoryData<string, string>();
        foreach (string kind in new[] { "allocation", "deallocation" })
        {
            foreach (BadBody bad in BadBodies)
            {
                data.Add(kind, bad.Name);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(BadBodyCases))]
    public async Task Malformed_hold_body_is_400_naming_the_field_and_appends_nothing(
        string kindName,
        string caseName
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        BadBody bad = BadBodies.Single(b => b.Name == caseName);
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await ConnectionAsync();
        long eventsBefore = await fixture.CountEventsAsync();
        string json = bad.Write(kind, kind.Body(Guid.NewGuid(), c, Currency, "5"));

        Answer answer = await bitgo.PostAsync(kind.OpenPath, json);

        answer.AssertProblemNaming(
            HttpStatusCode.BadRequest,
            bad.Field == "id" ? kind.IdField : bad.Field
        );
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Unknown_extra_fields_are_ignored_and_the_request_succeeds(string kindName)
    {
        HoldKind kind = HoldKind.Named(kindName);
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await FundedConnectionAsync();
        long eventsBefore = await fixture.CountEventsAsync();
        Guid id = Guid.NewGuid();
        JsonObject body = kind.Body(id, c, Currency, "5");
        body["notes"] = "a field BitGo may add later";
        body["amount"]!["decimals"] = 8;

        Answer answer = await bitgo.PostAsync(kind.OpenPath, body);

        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Null(answer.Json["rejectionReason"]);
        Assert.Null(answer.Json["notes"]);
        Assert.Equal(eventsBefore + 2, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Body_over_16_KiB_is_413_and_appends_nothing(string kindName)
    {
        HoldKind kind = HoldKind.Named(kindName);
        TestConnection c = await FundedConnectionAsync();
        long eventsBefore = await fixture.CountEventsAsync();

        Answer answer = await fixture
            .BitGo()
            .PostAsync(
                kind.OpenPath,
                PaddedTo(kind.Body(Guid.NewGuid(), c, Currency, "5"), BodyBytesMax + 1)
            );

        answer.AssertProblemNaming(HttpStatusCode.RequestEntityTooLarge, "body");
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Chunked_body_over_16_KiB_without_content_length_is_413_and_appends_nothing(
        string kindName
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        TestConnection c = await FundedConnectionAsync();
        long eventsBefore = await fixture.CountEventsAsync();
        byte[] bytes = Encoding.UTF8.GetBytes(
            PaddedTo(kind.Body(Guid.NewGuid(), c, Currency, "5"), BodyBytesMax + 1)
        );
        using var request = new HttpRequestMessage(HttpMethod.Post, kind.OpenPath)
        {
            Content = new StreamContent(new UnseekableStream(bytes)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Add(BitGoClient.SignatureHeader, TestCredentials.SignFor(bytes));

        using HttpResponseMessage response = await fixture.BitGo().Http.SendAsync(request);
        var answer = new Answer(
            response.StatusCode,
            response.Content.Headers.ContentType?.MediaType,
            await response.Content.ReadAsStringAsync()
        );

        answer.AssertProblemNaming(HttpStatusCode.RequestEntityTooLarge, "body");
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Body_of_exactly_16_KiB_is_accepted(string kindName)
    {
        HoldKind kind = HoldKind.Named(kindName);
        TestConnection c = await FundedConnectionAsync();
        long eventsBefore = await fixture.CountEventsAsync();
        string json = PaddedTo(kind.Body(Guid.NewGuid(), c, Currency, "5"), BodyBytesMax);

        Answer answer = await fixture.BitGo().PostAsync(kind.OpenPath, json);

        Assert.Equal(BodyBytesMax, Encoding.UTF8.GetByteCount(json));
        Assert.Null(answer.AssertStatus(HttpStatusCode.OK).RejectionReason());
        Assert.Equal(eventsBefore + 2, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("allocation", "text/plain")]
    [InlineData("allocation", "application/x-www-form-urlencoded")]
    [InlineData("allocation", "application/jsonx")]
    [InlineData("allocation", null)]
    [InlineData("deallocation", "text/plain")]
    [InlineData("deallocation", "application/x-www-form-urlencoded")]
    [InlineData("deallocation", "application/jsonx")]
    [InlineData("deallocation", null)]
    public async Task Body_that_is_not_declared_as_JSON_is_415_and_appends_nothing(
        string kindName,
        string? contentType
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        TestConnection c = await FundedConnectionAsync();
        long eventsBefore = await fixture.CountEventsAsync();
        string json = kind.Body(Guid.NewGuid(), c, Currency, "5").ToJsonString();

        Answer answer = await fixture
            .BitGo()
            .SendAsync(HttpMethod.Post, kind.OpenPath, json, contentType);

        answer.AssertProblemNaming(HttpStatusCode.UnsupportedMediaType, "content-type");
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public async Task Body_declared_as_JSON_with_a_charset_is_accepted(string kindName)
    {
        HoldKind kind = HoldKind.Named(kindName);
        TestConnection c = await FundedConnectionAsync();
        string json = kind.Body(Guid.NewGuid(), c, Currency, "5").ToJsonString();

        Answer answer = await fixture
            .BitGo()
            .PostAsync(kind.OpenPath, json, "application/json; charset=utf-8");

        Assert.Null(answer.AssertStatus(HttpStatusCode.OK).RejectionReason());
    }

    [Theory]
    [InlineData("allocation", "PUT", "/clear")]
    [InlineData("allocation", "PUT", "/release")]
    [InlineData("allocation", "GET", "")]
    [InlineData("deallocation", "PUT", "/clear")]
    [InlineData("deallocation", "PUT", "/release")]
    [InlineData("deallocation", "GET", "")]
    public async Task Malformed_id_in_the_path_is_400_naming_the_id_and_appends_nothing(
        string kindName,
        string method,
        string suffix
    )
    {
        HoldKind kind = HoldKind.Named(kindName);
        long eventsBefore = await fixture.CountEventsAsync();
        string[] ids = ["not-a-uuid", Guid.NewGuid().ToString("N"), "{" + Guid.NewGuid() + "}"];
        foreach (string id in ids)
        {
            Answer answer = await fixture
                .BitGo()
                .SendAsync(
                    new HttpMethod(method),
                    $"/bitgo/v1/{kind.Name}/{Uri.EscapeDataString(id)}{suffix}",
                    null,
                    null
                );

            answer.AssertProblemNaming(HttpStatusCode.BadRequest, kind.IdField);
        }
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("clientId")]
    [InlineData("clientWalletId")]
    [InlineData("connectionId")]
    [InlineData("connectionToken")]
    [InlineData("partnerId")]
    public async Task Connection_activation_without_a_field_is_400_naming_it_and_appends_nothing(
        string field
    )
    {
        long eventsBefore = await fixture.CountEventsAsync();
        JsonObject body = ActivationBody();
        body.Remove(field);

        Answer answer = await fixture.BitGo().PostAsync("/bitgo/v1/connections", body);

        answer.AssertProblemNaming(HttpStatusCode.BadRequest, field);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Theory]
    [InlineData("clientId")]
    [InlineData("connectionId")]
    [InlineData("partnerId")]
    public async Task Connection_activation_with_a_malformed_UUID_is_400_naming_it(string field)
    {
        long eventsBefore = await fixture.CountEventsAsync();
        JsonObject body = ActivationBody();
        body[field] = "not-a-uuid";

        Answer answer = await fixture.BitGo().PostAsync("/bitgo/v1/connections", body);

        answer.AssertProblemNaming(HttpStatusCode.BadRequest, field);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Fact]
    public async Task Unknown_path_is_404_problem_with_an_error_member()
    {
        long eventsBefore = await fixture.CountEventsAsync();

        Answer answer = await fixture.BitGo().GetAsync("/bitgo/v1/nothing-here");

        answer.AssertProblem(HttpStatusCode.NotFound);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    [Fact]
    public async Task Wrong_method_is_405_problem_with_an_error_member()
    {
        long eventsBefore = await fixture.CountEventsAsync();

        Answer answer = await fixture.BitGo().GetAsync("/bitgo/v1/deallocations");

        answer.AssertProblem(HttpStatusCode.MethodNotAllowed);
        Assert.Equal(eventsBefore, await fixture.CountEventsAsync());
    }

    private async Task<TestConnection> ConnectionAsync() => await fixture.BitGo().ConnectAsync();

    private async Task<TestConnection> FundedConnectionAsync()
    {
        BitGoClient bitgo = fixture.BitGo();
        TestConnection c = await bitgo.ConnectAsync();
        await bitgo.FundAsync(c, Currency, "100");
        return c;
    }

    private static JsonObject ActivationBody() =>
        new()
        {
            ["clientId"] = Guid.NewGuid().ToString(),
            ["clientWalletId"] = "wallet-1",
            ["connectionId"] = Guid.NewGuid().ToString(),
            ["connectionToken"] = "token-1",
            ["partnerId"] = Guid.NewGuid().ToString(),
        };

    /// <summary>Pads a valid body with an unknown string field to exactly this size.</summary>
    private static string PaddedTo(JsonObject body, int bytes)
    {
        body["padding"] = "";
        int overhead = Encoding.UTF8.GetByteCount(body.ToJsonString());
        body["padding"] = new string('x', bytes - overhead);
        string json = body.ToJsonString();
        Assert.Equal(bytes, Encoding.UTF8.GetByteCount(json));
        return json;
    }

    private static IEnumerable<BadBody> MalformedUuids()
    {
        string[] fields = ["id", "clientId", "connectionId"];
        (string Name, string Value)[] values =
        [
            ("words", "not-a-uuid"),
            ("no_hyphens", "6f9619ff8b86d011b42d00c04fc964ff"),
            ("braces", "{6f9619ff-8b86-d011-b42d-00c04fc964ff}"),
            ("one_digit_short", "6f9619ff-8b86-d011-b42d-00c04fc964f"),
            ("empty", ""),
        ];
        return fields.SelectMany(field =>
            values.Select(v => new BadBody(
                $"{field}_uuid_{v.Name}",
                field,
                (k, b) =>
                {
                    b[field == "id" ? k.IdField : field] = v.Value;
                    return b.ToJsonString();
                }
            ))
        );
    }

    private static IEnumerable<BadBody> MissingFields()
    {
        string[] fields =
        [
            "id",
            "amount",
            "amount.currency",
            "amount.quantity",
            "clientId",
            "connectionId",
            "partnersConnectionId",
            "partnerClientId",
        ];
        foreach (string field in fields)
        {
            yield return new BadBody(
                $"missing_{field}",
                field,
                (k, b) =>
                {
                    Parent(b, k, field, out string name).Remove(name);
                    return b.ToJsonString();
                }
            );
            yield return new BadBody(
                $"null_{field}",
                field,
                (k, b) =>
                {
                    Parent(b, k, field, out string name)[name] = null;
                    return b.ToJsonString();
                }
            );
        }
    }

    private static JsonObject Parent(JsonObject body, HoldKind kind, string field, out string name)
    {
        string path = field == "id" ? kind.IdField : field;
        int dot = path.IndexOf('.', StringComparison.Ordinal);
        name = dot < 0 ? path : path[(dot + 1)..];
        return dot < 0 ? body : body[path[..dot]]!.AsObject();
    }

    private static BadBody Quantity(string name, string rawValue) =>
        new(
            $"quantity_{name}",
            "amount.quantity",
            (_, b) =>
            {
                b["amount"]!["quantity"] = JsonNode.Parse(rawValue);
                return b.ToJsonString();
            }
        );

    private static BadBody Replace(string name, string field, Action<JsonObject> change) =>
        new(
            name,
            field,
            (_, b) =>
            {
                change(b);
                return b.ToJsonString();
            }
        );

    private static BadBody Raw(
        string name,
        string field,
        Func<HoldKind, JsonObject, string> write
    ) => new(name, field, write);

    /// <summary>Writes the key twice: first with this value, then as the body has it.</summary>
    private static string DuplicateFirstKey(JsonObject body, string key, string value) =>
        $"{{\"{key}\":\"{value}\"," + body.ToJsonString()[1..];

    /// <summary>A stream with no length, so the client must send the body chunked.</summary>
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
