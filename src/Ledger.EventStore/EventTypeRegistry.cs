using System.Text.Json;

namespace Ledger.EventStore;

/// <summary>
/// Maps each event type to a stable alias such as "deallocation_reserved". The log stores the
/// alias, never a CLR type name, so renaming a class never breaks a replay.
/// </summary>
public sealed class EventTypeRegistry
{
    public const int AliasLengthMax = 64;

    private readonly Dictionary<string, Type> _typesByAlias = new(StringComparer.Ordinal);
    private readonly Dictionary<Type, string> _aliasesByType = [];

    public EventTypeRegistry(JsonSerializerOptions serializerOptions)
    {
        SerializerOptions = serializerOptions;
    }

    /// <summary>Options every event is written and read with (amounts as strings, ADR 0005).</summary>
    public JsonSerializerOptions SerializerOptions { get; }

    public EventTypeRegistry Register<TEvent>(string alias)
    {
        ArgumentException.ThrowIfNullOrEmpty(alias);
        if (alias.Length > AliasLengthMax || !alias.All(c => c is (>= 'a' and <= 'z') or '_'))
        {
            throw new ArgumentException($"alias '{alias}' must be 1-64 characters of [a-z_]");
        }
        if (
            !_typesByAlias.TryAdd(alias, typeof(TEvent))
            || !_aliasesByType.TryAdd(typeof(TEvent), alias)
        )
        {
            throw new ArgumentException(
                $"alias '{alias}' or type {typeof(TEvent).Name} is registered twice"
            );
        }
        return this;
    }

    public string AliasOf(object @event) =>
        _aliasesByType.TryGetValue(@event.GetType(), out string? alias)
            ? alias
            : throw new InvalidOperationException(
                $"{@event.GetType().Name} has no registered alias"
            );

    public string Serialize(object @event) =>
        JsonSerializer.Serialize(@event, @event.GetType(), SerializerOptions);

    public object Deserialize(string alias, string json)
    {
        if (!_typesByAlias.TryGetValue(alias, out Type? type))
        {
            throw new EventStoreInvariantException($"event type '{alias}' is not registered");
        }
        return JsonSerializer.Deserialize(json, type, SerializerOptions)
            ?? throw new EventStoreInvariantException($"event of type '{alias}' has null data");
    }
}
