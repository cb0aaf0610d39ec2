using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using Ledger.Domain.Holds;

namespace Ledger.Domain.Tests.Model;

/// <summary>One call BitGo makes, as generated. Indices pick ids and keys.</summary>
internal abstract record Operation;

/// <summary>POST /allocations or /deallocations, with an id from a small pool.</summary>
internal sealed record OpenHold(
    string Kind,
    int IdIndex,
    int KeyIndex,
    BigInteger Quantity,
    bool WrongPartnerClientId
) : Operation
{
    public override string ToString() =>
        $"{Kind}(#{IdIndex}, key {KeyIndex}, {Quantity}{(WrongPartnerClientId ? ", bad pc" : "")})";
}

/// <summary>PUT .../{id}/clear or /release on the endpoint of the hold's own kind.</summary>
internal sealed record SettleHold(int IdIndex, Settlement Settlement) : Operation
{
    public override string ToString() => $"{Settlement}(#{IdIndex})";
}

/// <summary>The exact body of an earlier open that created a hold, sent again.</summary>
internal sealed record RetryOpen(int Pick) : Operation
{
    public override string ToString() => $"Retry(pick {Pick})";
}

/// <summary>How many balance keys are in play, and the calls made on them.</summary>
internal sealed record Scenario(int KeyCount, IReadOnlyList<Operation> Operations)
{
    public override string ToString() => $"{KeyCount} key(s): [{string.Join(", ", Operations)}]";
}

/// <summary>Generators and a shrinker for <see cref="Scenario"/>.</summary>
internal static class Scenarios
{
    public const int OperationsMax = 60;
    public const int HoldIdCount = 8;

    /// <summary>A small pool, so opens reuse ids and settles meet holds in every state.</summary>
    public static readonly IReadOnlyList<Guid> HoldIds = Enumerable
        .Range(1, HoldIdCount)
        .Select(i => Guid.Parse($"cccccccc-0000-4000-8000-{i:D12}"))
        .ToArray();

    public static Arbitrary<Scenario> Arbitrary { get; } = Arb.From(Generator(), Shrink);

    private static Gen<Scenario> Generator() =>
        from keyCount in Gen.Choose(1, LedgerModel.Keys.Count)
        from length in Gen.Choose(0, OperationsMax)
        from operations in OperationGenerator().ArrayOf(length)
        select new Scenario(keyCount, operations);

    private static Gen<Operation> OperationGenerator() =>
        Gen.Frequency(
            (3, OpenGenerator("allocation")),
            (3, OpenGenerator("deallocation")),
            (2, SettleGenerator(Settlement.Clear)),
            (2, SettleGenerator(Settlement.Release)),
            (1, Gen.Choose(0, OperationsMax).Select(pick => (Operation)new RetryOpen(pick)))
        );

    private static Gen<Operation> OpenGenerator(string kind) =>
        from idIndex in Gen.Choose(0, HoldIdCount - 1)
        from keyIndex in Gen.Choose(0, LedgerModel.Keys.Count - 1)
        from quantity in QuantityGenerator()
        from wrong in Gen.Frequency((1, Gen.Constant(true)), (11, Gen.Constant(false)))
        select (Operation)new OpenHold(kind, idIndex, keyIndex, quantity, wrong);

    private static Gen<Operation> SettleGenerator(Settlement settlement) =>
        Gen.Choose(0, HoldIdCount - 1)
            .Select(idIndex => (Operation)new SettleHold(idIndex, settlement));

    /// <summary>Mostly small, so funds are often just enough; at times beyond 64 bits.</summary>
    private static Gen<BigInteger> QuantityGenerator() =>
        Gen.Frequency(
            (9, Gen.Choose(1, 20).Select(small => new BigInteger(small))),
            (1, Gen.Choose(0, 3).Select(extra => BigInteger.Pow(10, 30) + extra))
        );

    /// <summary>Drops one operation, or one key, at a time, down to a failure's core.</summary>
    private static IEnumerable<Scenario> Shrink(Scenario scenario)
    {
        if (scenario.KeyCount > 1)
        {
            yield return scenario with
            {
                KeyCount = scenario.KeyCount - 1,
            };
        }
        for (int index = 0; index < scenario.Operations.Count; index++)
        {
            int dropped = index;
            yield return scenario with
            {
                Operations = scenario.Operations.Where((_, i) => i != dropped).ToArray(),
            };
        }
    }
}
