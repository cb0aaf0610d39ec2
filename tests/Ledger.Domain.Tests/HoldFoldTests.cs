using Ledger.Domain.Allocations;
using Ledger.Domain.Deallocations;
using Ledger.Domain.Holds;

namespace Ledger.Domain.Tests;

/// <summary>Replaying a hold's stream: state is built, and an event out of place throws.</summary>
public sealed class HoldFoldTests
{
    private static readonly HoldRequest Request = Samples.Request();

    private static readonly DeallocationRequested Requested = DeallocationRequested.From(Request);

    private static readonly DeallocationReserved Reserved = new(
        Request.Id,
        Samples.PartnerReference,
        Request.ClientId,
        Request.ConnectionId,
        Request.Amount
    );

    private static readonly DeallocationRejected Rejected = new(
        Request.Id,
        Samples.PartnerReference,
        RejectionReasons.InsufficientFunds
    );

    private static readonly DeallocationCleared Cleared = new(
        Request.Id,
        Request.ClientId,
        Request.ConnectionId,
        Request.Amount
    );

    private static readonly DeallocationReleased Released = new(
        Request.Id,
        Request.ClientId,
        Request.ConnectionId,
        Request.Amount
    );

    [Fact]
    public void Fold_of_an_empty_stream_is_no_hold()
    {
        Assert.Null(Hold.Fold([]));
    }

    [Fact]
    public void Fold_of_requested_and_reserved_is_a_reserved_hold_at_version_2()
    {
        Hold hold = Hold.Fold([Requested, Reserved])!;

        Assert.Equal(
            new Hold(Request, HoldStatus.Reserved, Samples.PartnerReference, null, Version: 2),
            hold
        );
    }

    [Fact]
    public void Fold_of_requested_and_rejected_is_a_rejected_hold_with_its_reason()
    {
        Hold hold = Hold.Fold([Requested, Rejected])!;

        Assert.Equal(
            new Hold(
                Request,
                HoldStatus.Rejected,
                Samples.PartnerReference,
                RejectionReasons.InsufficientFunds,
                Version: 2
            ),
            hold
        );
    }

    [Fact]
    public void Fold_of_a_cleared_stream_is_a_cleared_hold_at_version_3()
    {
        Hold hold = Hold.Fold([Requested, Reserved, Cleared])!;

        Assert.Equal(
            new Hold(Request, HoldStatus.Cleared, Samples.PartnerReference, null, Version: 3),
            hold
        );
    }

    [Fact]
    public void Fold_of_a_released_allocation_stream_is_a_released_hold_at_version_3()
    {
        object[] events =
        [
            AllocationRequested.From(Request),
            new AllocationReserved(
                Request.Id,
                Samples.PartnerReference,
                Request.ClientId,
                Request.ConnectionId,
                Request.Amount
            ),
            new AllocationReleased(
                Request.Id,
                Request.ClientId,
                Request.ConnectionId,
                Request.Amount
            ),
        ];

        Hold hold = Hold.Fold(events)!;

        Assert.Equal(
            new Hold(Request, HoldStatus.Released, Samples.PartnerReference, null, Version: 3),
            hold
        );
    }

    [Fact]
    public void Fold_rejects_a_stream_that_does_not_start_with_Requested()
    {
        Assert.Throws<InvariantViolationException>(() => Hold.Fold([Reserved]));
    }

    [Fact]
    public void Fold_rejects_Cleared_before_Reserved()
    {
        Assert.Throws<InvariantViolationException>(() => Hold.Fold([Requested, Cleared]));
    }

    [Fact]
    public void Fold_rejects_two_Requested_events()
    {
        Assert.Throws<InvariantViolationException>(() => Hold.Fold([Requested, Requested]));
    }

    [Fact]
    public void Fold_rejects_Cleared_after_Released()
    {
        Assert.Throws<InvariantViolationException>(() =>
            Hold.Fold([Requested, Reserved, Released, Cleared])
        );
    }

    [Fact]
    public void Fold_rejects_Cleared_after_Rejected()
    {
        Assert.Throws<InvariantViolationException>(() => Hold.Fold([Requested, Rejected, Cleared]));
    }

    [Fact]
    public void Fold_rejects_Reserved_twice()
    {
        Assert.Throws<InvariantViolationException>(() =>
            Hold.Fold([Requested, Reserved, Reserved])
        );
    }

    [Fact]
    public void Fold_rejects_an_event_of_another_hold()
    {
        var otherHold = Reserved with { DeallocationId = Guid.NewGuid() };

        Assert.Throws<InvariantViolationException>(() => Hold.Fold([Requested, otherHold]));
    }

    [Fact]
    public void Fold_rejects_an_event_that_is_not_a_hold_event()
    {
        Assert.Throws<InvariantViolationException>(() => Hold.Fold([Requested, "not an event"]));
    }
}
