using System.Text;
using System.Text.Json;
using Ledger.EventStore;

namespace Ledger.Api.Audit;

/// <summary>
/// Decodes event data straight from the UTF-8 bytes PostgreSQL sent, with the registry's
/// types and JSON options. The registry resolves each alias once, through its own
/// Deserialize; the type it returns is then used for every later event of that alias.
/// </summary>
public sealed class EventDecoder(EventTypeRegistry registry)
{
    private readonly Dictionary<string, Type> _types = new(StringComparer.Ordinal);

    /// <summary>The type of an alias this decoder has decoded, or null.</summary>
    public Type? TypeOf(string alias) => _types.GetValueOrDefault(alias);

    public object Decode(string alias, ReadOnlySpan<byte> utf8Json)
    {
        if (!_types.TryGetValue(alias, out Type? type))
        {
            object first = registry.Deserialize(alias, Encoding.UTF8.GetString(utf8Json));
            _types.Add(alias, first.GetType());
            return first;
        }
        return JsonSerializer.Deserialize(utf8Json, type, registry.SerializerOptions)
            ?? throw new EventStoreInvariantException($"event of type '{alias}' has null data");
    }
}
