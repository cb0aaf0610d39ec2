using System.Text.Json;
using System.Text.Json.Serialization;
using Ledger.Domain;

namespace Ledger.Api.Hosting;

/// <summary>
/// How amounts and currencies cross JSON. Stored events and the query API write a quantity as
/// a string of digits; BitGo's answers write it as a JSON number of exactly the same digits
/// (seed 003). No floating-point type is ever in between (ADR 0005).
/// </summary>
public static class LedgerJson
{
    public static JsonSerializerOptions EventOptions { get; } =
        new(JsonSerializerDefaults.Web)
        {
            Converters = { new QuantityAsStringConverter(), new CurrencyConverter() },
        };
}

public sealed class QuantityAsStringConverter : JsonConverter<Quantity>
{
    public override Quantity Read(
        ref Utf8JsonReader reader,
        Type typeToConvert,
        JsonSerializerOptions options
    ) =>
        reader.TokenType == JsonTokenType.String
        && Quantity.TryParse(reader.GetString(), out Quantity q)
            ? q
            : throw new JsonException("a quantity is a string of canonical digits");

    public override void Write(
        Utf8JsonWriter writer,
        Quantity value,
        JsonSerializerOptions options
    ) => writer.WriteStringValue(value.ToString());
}

/// <summary>Writes the integer's exact digits as a JSON number, as seed 003's responses show.</summary>
public sealed class QuantityAsNumberConverter : JsonConverter<Quantity>
{
    public override Quantity Read(
        ref Utf8JsonReader reader,
        Type typeToConvert,
        JsonSerializerOptions options
    ) =>
        reader.TokenType == JsonTokenType.Number
        && Quantity.TryParse(System.Text.Encoding.UTF8.GetString(reader.ValueSpan), out Quantity q)
            ? q
            : throw new JsonException("a quantity is a JSON integer");

    public override void Write(
        Utf8JsonWriter writer,
        Quantity value,
        JsonSerializerOptions options
    ) => writer.WriteRawValue(value.ToString(), skipInputValidation: false);
}

public sealed class CurrencyConverter : JsonConverter<Currency>
{
    public override Currency Read(
        ref Utf8JsonReader reader,
        Type typeToConvert,
        JsonSerializerOptions options
    ) =>
        reader.TokenType == JsonTokenType.String
        && Currency.TryParse(reader.GetString(), out Currency c)
            ? c
            : throw new JsonException("a currency is a string of [a-z0-9:._-]");

    public override void Write(
        Utf8JsonWriter writer,
        Currency value,
        JsonSerializerOptions options
    ) => writer.WriteStringValue(value.Code);
}
