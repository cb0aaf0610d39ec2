using System.Numerics;
using Ledger.Domain.Allocations;
using Ledger.Domain.Balances;
using Ledger.Domain.Connections;
using Ledger.Domain.Deallocations;
using Ledger.Domain.Holds;

namespace Ledger.Domain.Tests;

/// <summary>The balance table of issue 3, one row per test.</summary>
public sealed class BalanceEffectsTests
{
    private static readonly HoldRequest Request = Samples.Request("25");

    private static readonly BalanceKey Key = new(
        Request.ClientId,
        Request.ConnectionId,
        Request.Amount.Currency
    );

    private static readonly BigInteger Q = 25;

    [Fact]
    public void Allocation_reserved_adds_q_to_pending_credit()
    {
        var e = new AllocationReserved(
            Request.Id,
            Samples.PartnerReference,
            Request.ClientId,
            Request.ConnectionId,
            Request.Amount
        );

        Assert.Equal(new BalanceDelta(Key, 0, 0, +Q), BalanceEffects.Of(e));
    }

    [Fact]
    public void Allocation_cleared_adds_q_to_available_and_takes_q_from_pending_credit()
    {
        var e = new AllocationCleared(
            Request.Id,
            Request.ClientId,
            Request.ConnectionId,
            Request.Amount
        );

        Assert.Equal(new BalanceDelta(Key, +Q, 0, -Q), BalanceEffects.Of(e));
    }

    [Fact]
    public void Allocation_released_takes_q_from_pending_credit()
    {
        var e = new AllocationReleased(
            Request.Id,
            Request.ClientId,
            Request.ConnectionId,
            Request.Amount
        );

        Assert.Equal(new BalanceDelta(Key, 0, 0, -Q), BalanceEffects.Of(e));
    }

    [Fact]
    public void Deallocation_reserved_moves_q_from_available_to_reserved()
    {
        var e = new DeallocationReserved(
            Request.Id,
            Samples.PartnerReference,
            Request.ClientId,
            Request.ConnectionId,
            Request.Amount
        );

        Assert.Equal(new BalanceDelta(Key, -Q, +Q, 0), BalanceEffects.Of(e));
    }

    [Fact]
    public void Deallocation_cleared_takes_q_from_reserved()
    {
        var e = new DeallocationCleared(
            Request.Id,
            Request.ClientId,
            Request.ConnectionId,
            Request.Amount
        );

        Assert.Equal(new BalanceDelta(Key, 0, -Q, 0), BalanceEffects.Of(e));
    }

    [Fact]
    public void Deallocation_released_moves_q_from_reserved_back_to_available()
    {
        var e = new DeallocationReleased(
            Request.Id,
            Request.ClientId,
            Request.ConnectionId,
            Request.Amount
        );

        Assert.Equal(new BalanceDelta(Key, +Q, -Q, 0), BalanceEffects.Of(e));
    }

    [Fact]
    public void Rejected_holds_move_no_balance()
    {
        Assert.Null(
            BalanceEffects.Of(
                new AllocationRejected(Request.Id, "p", RejectionReasons.UnknownConnection)
            )
        );
        Assert.Null(
            BalanceEffects.Of(
                new DeallocationRejected(Request.Id, "p", RejectionReasons.InsufficientFunds)
            )
        );
    }

    [Fact]
    public void Requested_events_and_connection_events_move_no_balance()
    {
        Assert.Null(BalanceEffects.Of(AllocationRequested.From(Request)));
        Assert.Null(BalanceEffects.Of(DeallocationRequested.From(Request)));
        Assert.Null(BalanceEffects.Of(Samples.Activated()));
        Assert.Null(BalanceEffects.Of(new ConnectionDeactivated(Samples.ConnectionId, "closed")));
    }

    [Fact]
    public void Balance_Apply_adds_each_part_of_the_delta()
    {
        var balance = new Balance(Samples.Q("10"), Samples.Q("20"), Samples.Q("30"));

        Balance applied = balance.Apply(new BalanceDelta(Key, -10, +1, -30));

        Assert.Equal(new Balance(Quantity.Zero, Samples.Q("21"), Quantity.Zero), applied);
    }

    [Theory]
    [InlineData("available")]
    [InlineData("reserved")]
    [InlineData("pendingCredit")]
    public void Balance_Apply_throws_when_a_part_would_go_negative(string part)
    {
        var balance = new Balance(Samples.Q("5"), Samples.Q("5"), Samples.Q("5"));
        BalanceDelta delta = part switch
        {
            "available" => new BalanceDelta(Key, -6, 0, 0),
            "reserved" => new BalanceDelta(Key, 0, -6, 0),
            "pendingCredit" => new BalanceDelta(Key, 0, 0, -6),
            _ => throw new ArgumentOutOfRangeException(nameof(part)),
        };

        Assert.Throws<InvariantViolationException>(() => balance.Apply(delta));
    }
}
