using Ledger.Domain.Allocations;
using Ledger.Domain.Balances;
using Ledger.Domain.Deallocations;
using Ledger.Domain.Holds;

namespace Ledger.Domain.Tests;

/// <summary>Opening a hold: requested and, in the same append, reserved or rejected.</summary>
public sealed class HoldRequestDecisionTests
{
    private const string PartnerId = "pd_0190-partner";

    [Fact]
    public void Deallocation_within_the_available_funds_is_reserved()
    {
        IReadOnlyList<object> events = Deallocate(quantity: "10", available: "11");

        Assert.IsType<DeallocationReserved>(events[1]);
    }

    [Fact]
    public void Deallocation_of_exactly_the_available_funds_is_reserved()
    {
        IReadOnlyList<object> events = Deallocate(quantity: "10", available: "10");

        Assert.IsType<DeallocationReserved>(events[1]);
    }

    [Fact]
    public void Deallocation_above_the_available_funds_is_rejected_with_insufficient_funds()
    {
        IReadOnlyList<object> events = Deallocate(quantity: "11", available: "10");

        var rejected = Assert.IsType<DeallocationRejected>(events[1]);
        Assert.Equal(RejectionReasons.InsufficientFunds, rejected.Reason);
        Assert.Equal("insufficient funds", rejected.Reason);
        Assert.All(events, e => Assert.Null(BalanceEffects.Of(e)));
    }

    [Fact]
    public void Deallocation_beyond_64_bits_is_compared_exactly()
    {
        // 10^30 + 1 against 10^30: a double or a long would lose the difference.
        string tenToThe30 = "1" + new string('0', 30);
        string onePlus = "1" + new string('0', 29) + "1";

        var rejected = Assert.IsType<DeallocationRejected>(Deallocate(onePlus, tenToThe30)[1]);

        Assert.Equal(RejectionReasons.InsufficientFunds, rejected.Reason);
    }

    [Fact]
    public void Deallocation_refused_before_funds_keeps_that_reason_even_without_funds()
    {
        IReadOnlyList<object> events = DeallocationDecisions.Request(
            Samples.Request("11"),
            Samples.InactiveConnection(),
            CurrencyCatalog.Default,
            Samples.Q("10"),
            PartnerId
        );

        var rejected = Assert.IsType<DeallocationRejected>(events[1]);
        Assert.Equal(RejectionReasons.InactiveConnection, rejected.Reason);
    }

    [Fact]
    public void Deallocation_reserved_emits_Requested_then_Reserved_with_the_partner_id()
    {
        HoldRequest request = Samples.Request("10");

        IReadOnlyList<object> events = DeallocationDecisions.Request(
            request,
            Samples.ActiveConnection(),
            CurrencyCatalog.Default,
            Samples.Q("10"),
            PartnerId
        );

        Assert.Equal<object>(
            [
                DeallocationRequested.From(request),
                new DeallocationReserved(
                    request.Id,
                    PartnerId,
                    request.ClientId,
                    request.ConnectionId,
                    request.Amount
                ),
            ],
            events
        );
    }

    [Fact]
    public void Deallocation_rejected_emits_Requested_then_Rejected_with_the_partner_id()
    {
        HoldRequest request = Samples.Request("10");

        IReadOnlyList<object> events = DeallocationDecisions.Request(
            request,
            Samples.ActiveConnection(),
            CurrencyCatalog.Default,
            Quantity.Zero,
            PartnerId
        );

        Assert.Equal<object>(
            [
                DeallocationRequested.From(request),
                new DeallocationRejected(request.Id, PartnerId, RejectionReasons.InsufficientFunds),
            ],
            events
        );
    }

    [Fact]
    public void Allocation_never_checks_funds_and_is_reserved_with_nothing_available()
    {
        // AllocationDecisions.Request takes no available quantity at all: funds come from BitGo.
        HoldRequest request = Samples.Request("1" + new string('0', 30));

        IReadOnlyList<object> events = AllocationDecisions.Request(
            request,
            Samples.ActiveConnection(),
            CurrencyCatalog.Default,
            PartnerId
        );

        Assert.Equal<object>(
            [
                AllocationRequested.From(request),
                new AllocationReserved(
                    request.Id,
                    PartnerId,
                    request.ClientId,
                    request.ConnectionId,
                    request.Amount
                ),
            ],
            events
        );
    }

    [Fact]
    public void Allocation_refused_before_funds_emits_Requested_then_Rejected_with_the_partner_id()
    {
        HoldRequest request = Samples.Request("10");

        IReadOnlyList<object> events = AllocationDecisions.Request(
            request,
            connection: null,
            CurrencyCatalog.Default,
            PartnerId
        );

        Assert.Equal<object>(
            [
                AllocationRequested.From(request),
                new AllocationRejected(request.Id, PartnerId, RejectionReasons.UnknownConnection),
            ],
            events
        );
        Assert.All(events, e => Assert.Null(BalanceEffects.Of(e)));
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public void Hold_request_without_a_partner_id_is_a_programming_error(string kind)
    {
        Assert.ThrowsAny<ArgumentException>(() =>
            HoldKind
                .Named(kind)
                .Request(Samples.Request(), Samples.ActiveConnection(), Samples.Q("100"), "")
        );
    }

    private static IReadOnlyList<object> Deallocate(string quantity, string available) =>
        DeallocationDecisions.Request(
            Samples.Request(quantity),
            Samples.ActiveConnection(),
            CurrencyCatalog.Default,
            Samples.Q(available),
            PartnerId
        );
}
