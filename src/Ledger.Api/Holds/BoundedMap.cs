using System.Collections.Concurrent;

namespace Ledger.Api.Holds;

/// <summary>The one bound of this node's caches: beyond it a map starts again empty, and refills.</summary>
internal static class BoundedMap
{
    public static void Put<TKey, TValue>(
        this ConcurrentDictionary<TKey, TValue> map,
        TKey key,
        TValue value,
        int entriesMax
    )
        where TKey : notnull
    {
        if (map.Count >= entriesMax)
        {
            map.Clear();
        }
        map[key] = value;
    }
}
