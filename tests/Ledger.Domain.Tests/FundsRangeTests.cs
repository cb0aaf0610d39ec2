using Ledger.Domain.Connections;
using Ledger.Domain.Deallocations;
using Ledger.Domain.Holds;

namespace Ledger.Domain.Tests;

/// <summary>
/// The funds for which a deallocation's decision stands: a group that decided on funds it had
/// not read commits only if the funds it then finds, under the row lock, are in this range.
/// </summary>
public sealed class FundsRangeTests
{
    private const int QuantityMax = 6;
    private const int AvailableMax = 12;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_deallocation_decision_stands_for_exactly_the_funds_that_decide_it_the_same_way(
        bool activeConnection
    )
    {
        Connection connection = activeConnection
            ? Samples.ActiveConnection()
            : Samples.InactiveConnection();
        for (int quantity = 1; quantity <= QuantityMax; quantity++)
        {
            for (int decidedOn = 0; decidedOn <= AvailableMax; decidedOn++)
            {
                IReadOnlyList<object> decision = Decide(connection, quantity, decidedOn);
                FundsRange range = DeallocationDecisions.StandsFor(decision);
                for (int found = 0; found <= AvailableMax; found++)
                {
                    bool same = Outcome(Decide(connection, quantity, found)) == Outcome(decision);
                    Assert.True(
                        same == range.Contains(Quantity.From(found)),
                        $"{quantity} decided on {decidedOn}, found {found}: same outcome {same}, range {range}"
                    );
                }
            }
        }
    }

    [Fact]
    public void Ranges_of_a_groups_decisions_combine_as_seen_from_the_funds_before_the_first()
    {
        // Reserved 3 from the funds first, then refused 5 for funds on what was left.
        FundsRange first = new(Quantity.From(3), null);
        FundsRange second = new FundsRange(Quantity.Zero, Quantity.From(5)).Before(
            Quantity.From(3)
        );

        FundsRange both = first.And(second);

        Assert.Equal(new FundsRange(Quantity.From(3), Quantity.From(8)), both);
        Assert.False(both.Contains(Quantity.From(2)));
        Assert.True(both.Contains(Quantity.From(7)));
        Assert.False(both.Contains(Quantity.From(8)));
    }

    private static IReadOnlyList<object> Decide(
        Connection connection,
        int quantity,
        int available
    ) =>
        DeallocationDecisions.Request(
            Samples.Request($"{quantity}"),
            connection,
            CurrencyCatalog.Default,
            Quantity.From(available),
            "pd_0190-partner"
        );

    private static string Outcome(IReadOnlyList<object> decision) =>
        decision[1] switch
        {
            DeallocationReserved => "reserved",
            DeallocationRejected rejected => rejected.Reason,
            var other => other.GetType().Name,
        };
}
