using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ledger.Benchmarks;

/// <summary>
/// Renders JSON as PostgreSQL renders jsonb (what data::text returns), so the seeder can hash
/// events in C# before PostgreSQL stores them: object keys by length then bytewise, ": " and
/// ", " separators, escapes as escape_json writes them. Numbers keep their text: our events
/// hold none (quantities are strings).
/// </summary>
public static class JsonbText
{
    public static string Render(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        var text = new StringBuilder(json.Length + 32);
        Render(document.RootElement, text);
        return text.ToString();
    }

    private static void Render(JsonElement element, StringBuilder text)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                RenderObject(element, text);
                break;
            case JsonValueKind.Array:
                text.Append('[');
                bool first = true;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    text.Append(first ? "" : ", ");
                    first = false;
                    Render(item, text);
                }
                text.Append(']');
                break;
            case JsonValueKind.String:
                RenderString(element.GetString()!, text);
                break;
            case JsonValueKind.Number:
                text.Append(element.GetRawText());
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            case JsonValueKind.Null:
                text.Append("null");
                break;
            default:
                throw new ArgumentException($"cannot render {element.ValueKind}");
        }
    }

    private static void RenderObject(JsonElement element, StringBuilder text)
    {
        List<JsonProperty> members = [.. element.EnumerateObject()];
        members.Sort((a, b) => CompareKeys(a.Name, b.Name));
        text.Append('{');
        for (int i = 0; i < members.Count; i++)
        {
            text.Append(i == 0 ? "" : ", ");
            RenderString(members[i].Name, text);
            text.Append(": ");
            Render(members[i].Value, text);
        }
        text.Append('}');
    }

    /// <summary>jsonb's order: shorter keys first, then bytewise on UTF-8.</summary>
    private static int CompareKeys(string a, string b)
    {
        byte[] x = Encoding.UTF8.GetBytes(a);
        byte[] y = Encoding.UTF8.GetBytes(b);
        return x.Length != y.Length
            ? x.Length.CompareTo(y.Length)
            : x.AsSpan().SequenceCompareTo(y);
    }

    private static void RenderString(string value, StringBuilder text)
    {
        text.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '\b':
                    text.Append("\\b");
                    break;
                case '\f':
                    text.Append("\\f");
                    break;
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                case '"':
                    text.Append("\\\"");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                default:
                    if (c < ' ')
                    {
                        text.Append("\\u")
                            .Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        text.Append(c);
                    }
                    break;
            }
        }
        text.Append('"');
    }
}
