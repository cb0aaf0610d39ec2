using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Ledger.BitGoSim.Hosting;

/// <summary>
/// BitGo's bodies as seed 000 shows them: an "error" string on every failure, and the
/// deallocation (or allocation) object under its kind's name.
/// </summary>
public static class SimJson
{
    /// <summary>
    /// Web naming; absent members are left out rather than written as null; and the relaxed
    /// encoder, so that a timestamp's "+00:00" is not written as "\u002B00:00". These bodies
    /// are JSON for API clients, never embedded in HTML.
    /// </summary>
    public static JsonSerializerOptions Options { get; } =
        new(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        MaxDepth = SimLimits.JsonDepthMax,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowDuplicateProperties = false,
    };

    public static IResult Error(int status, string error) =>
        Results.Json(new JsonObject { ["error"] = error }, Options, statusCode: status);

    /// <summary>
    /// { error?, name: value }: a transfer or connection, with an error unless 200.
    /// </summary>
    public static IResult Wrapped<T>(int status, string name, T value, string? error)
    {
        var body = new JsonObject();
        if (error is not null)
        {
            body["error"] = error;
        }
        body[name] = JsonSerializer.SerializeToNode(value, Options);
        return Results.Json(body, Options, statusCode: status);
    }

    /// <summary>
    /// The request body as a JSON object, or the 400's error. The body's size is capped by
    /// Kestrel (<see cref="SimLimits.BodyBytesMax"/>); a larger body is refused with 413.
    /// </summary>
    public static async Task<(JsonElement Root, string? Error)> ReadObjectAsync(
        HttpRequest request,
        CancellationToken cancellationToken
    )
    {
        if (!request.HasJsonContentType())
        {
            return (default, "body: content-type must be application/json");
        }
        try
        {
            using JsonDocument document = await JsonDocument.ParseAsync(
                request.Body,
                DocumentOptions,
                cancellationToken
            );
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? (document.RootElement.Clone(), null)
                : (default, "body: must be a JSON object");
        }
        catch (JsonException)
        {
            return (default, "body: malformed JSON (syntax, duplicate key or nesting too deep)");
        }
    }
}
