using Ledger.Domain.Holds;

namespace Ledger.Domain.Tests;

/// <summary>
/// Clear and release for both kinds (ADR 0006): a reserved hold settles once; a repeat of the
/// same settlement is AlreadyDone; the other settlement is a Conflict. Neither appends.
/// </summary>
public sealed class SettleDecisionTests
{
    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public void Clearing_a_reserved_hold_appends_its_Cleared_event(string name)
    {
        HoldKind kind = HoldKind.Named(name);
        HoldRequest request = Samples.Request();

        SettleDecision decision = kind.Clear(kind.ReservedHold());

        var append = Assert.IsType<SettleDecision.Append>(decision);
        Assert.Equal(
            kind.ClearedEvent(request.Id, request.ClientId, request.ConnectionId, request.Amount),
            append.Event
        );
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public void Releasing_a_reserved_hold_appends_its_Released_event(string name)
    {
        HoldKind kind = HoldKind.Named(name);
        HoldRequest request = Samples.Request();

        SettleDecision decision = kind.Release(kind.ReservedHold());

        var append = Assert.IsType<SettleDecision.Append>(decision);
        Assert.Equal(
            kind.ReleasedEvent(request.Id, request.ClientId, request.ConnectionId, request.Amount),
            append.Event
        );
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public void Clearing_a_cleared_hold_again_is_already_done_and_appends_nothing(string name)
    {
        HoldKind kind = HoldKind.Named(name);

        Assert.IsType<SettleDecision.AlreadyDone>(kind.Clear(kind.ClearedHold()));
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public void Releasing_a_released_hold_again_is_already_done_and_appends_nothing(string name)
    {
        HoldKind kind = HoldKind.Named(name);

        Assert.IsType<SettleDecision.AlreadyDone>(kind.Release(kind.ReleasedHold()));
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public void Releasing_a_rejected_hold_is_already_done_and_appends_nothing(string name)
    {
        // BitGo reads a refused hold as "released", so releasing it repeats that answer.
        HoldKind kind = HoldKind.Named(name);

        Assert.IsType<SettleDecision.AlreadyDone>(kind.Release(kind.RejectedHold()));
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public void Clearing_a_released_hold_is_a_conflict_and_appends_nothing(string name)
    {
        HoldKind kind = HoldKind.Named(name);

        Assert.IsType<SettleDecision.Conflict>(kind.Clear(kind.ReleasedHold()));
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public void Clearing_a_rejected_hold_is_a_conflict_and_appends_nothing(string name)
    {
        HoldKind kind = HoldKind.Named(name);

        Assert.IsType<SettleDecision.Conflict>(kind.Clear(kind.RejectedHold()));
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public void Releasing_a_cleared_hold_is_a_conflict_and_appends_nothing(string name)
    {
        HoldKind kind = HoldKind.Named(name);

        Assert.IsType<SettleDecision.Conflict>(kind.Release(kind.ClearedHold()));
    }

    [Theory]
    [InlineData("allocation")]
    [InlineData("deallocation")]
    public void Settling_a_hold_that_is_only_requested_is_a_broken_invariant(string name)
    {
        // Requested is only ever seen mid-append; a stored stream never stops there.
        HoldKind kind = HoldKind.Named(name);
        Hold requested = kind.ReservedHold() with { Status = HoldStatus.Requested };

        Assert.Throws<InvariantViolationException>(() => kind.Clear(requested));
    }
}
