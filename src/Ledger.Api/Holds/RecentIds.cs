namespace Ledger.Api.Holds;

/// <summary>
/// The stream ids this node saw last, in a fixed array: an id is kept until four later ids
/// have landed in its set (about as many ids as the array holds), and none costs an allocation. The map it
/// replaces allocated a node per id, each of which outlived its gen0 collection and went on
/// into gen2; its table copied every node as it grew, and it started again empty at its bound.
/// In scenario 1 those nodes were most of what each gen1 collection carried into gen2: about
/// 110 KB, and 14 KB without them (docs/benchmarks.md, "Tenth round"). Forgetting an id is
/// safe: its users only use it to skip a round trip that a known id would waste.
/// </summary>
internal sealed class RecentIds
{
    /// <summary>Ids kept per set; a set forgets its oldest first.</summary>
    private const int Ways = 4;

    private readonly Guid[] _slots;
    private readonly byte[] _oldest;
    private readonly int _setMask;
    private readonly Lock _lock = new();

    public RecentIds(int capacity)
    {
        if (capacity < Ways || !int.IsPow2(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), "a power of two, at least 4");
        }
        _slots = new Guid[capacity];
        _oldest = new byte[capacity / Ways];
        _setMask = (capacity / Ways) - 1;
    }

    public void Add(Guid id)
    {
        if (id == Guid.Empty)
        {
            return; // an empty slot holds Guid.Empty: keeping it would make it always known
        }
        int set = SetOf(id);
        lock (_lock)
        {
            if (Holds(set, id))
            {
                return;
            }
            int oldest = _oldest[set];
            _slots[(set * Ways) + oldest] = id;
            _oldest[set] = (byte)((oldest + 1) % Ways);
        }
    }

    public bool Contains(Guid id)
    {
        if (id == Guid.Empty)
        {
            return false;
        }
        int set = SetOf(id);
        lock (_lock)
        {
            return Holds(set, id);
        }
    }

    private bool Holds(int set, Guid id) => _slots.AsSpan(set * Ways, Ways).Contains(id);

    private int SetOf(Guid id) => id.GetHashCode() & _setMask;
}
