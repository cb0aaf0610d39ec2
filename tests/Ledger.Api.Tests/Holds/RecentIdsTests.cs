using Ledger.Api.Holds;
using Xunit;

namespace Ledger.Api.Tests.Holds;

/// <summary>
/// The bounded memory of stream ids a group uses to tell a new open from a repeat without a
/// round trip (docs/adr/0010-group-commit.md, "A group in one round trip").
/// </summary>
public sealed class RecentIdsTests
{
    // Two sets of four: small enough to fill one set on purpose.
    private const int Capacity = 8;

    [Fact]
    public void An_added_id_is_known_and_any_other_is_not()
    {
        var ids = new RecentIds(Capacity);
        Guid added = Guid.NewGuid();

        ids.Add(added);

        Assert.True(ids.Contains(added));
        Assert.False(ids.Contains(Guid.NewGuid()));
    }

    [Fact]
    public void A_set_keeps_its_last_four_ids_and_forgets_the_oldest_first()
    {
        var ids = new RecentIds(Capacity);
        Guid[] sameSet = IdsInOneSet(5);

        foreach (Guid id in sameSet[..4])
        {
            ids.Add(id);
        }
        Assert.All(sameSet[..4], id => Assert.True(ids.Contains(id)));

        ids.Add(sameSet[4]);

        Assert.False(ids.Contains(sameSet[0]));
        Assert.All(sameSet[1..], id => Assert.True(ids.Contains(id)));
    }

    [Fact]
    public void Adding_a_kept_id_again_forgets_nothing()
    {
        var ids = new RecentIds(Capacity);
        Guid[] sameSet = IdsInOneSet(4);
        foreach (Guid id in sameSet)
        {
            ids.Add(id);
        }

        ids.Add(sameSet[3]);
        ids.Add(sameSet[0]);

        Assert.All(sameSet, id => Assert.True(ids.Contains(id)));
    }

    [Fact]
    public void The_empty_id_is_never_known()
    {
        var ids = new RecentIds(Capacity);

        ids.Add(Guid.Empty);

        Assert.False(ids.Contains(Guid.Empty));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(12)]
    public void A_capacity_that_is_not_a_power_of_two_of_at_least_four_is_refused(int capacity)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecentIds(capacity));
    }

    /// <summary>Ids that land in one set: with two sets, those whose hash codes share the low bit.</summary>
    private static Guid[] IdsInOneSet(int count)
    {
        int set = Guid.NewGuid().GetHashCode() & 1;
        var found = new List<Guid>();
        while (found.Count < count)
        {
            Guid candidate = Guid.NewGuid();
            if ((candidate.GetHashCode() & 1) == set)
            {
                found.Add(candidate);
            }
        }
        return [.. found];
    }
}
