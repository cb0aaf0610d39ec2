namespace Ledger.Domain.Holds;

/// <summary>Every event of an allocation or deallocation stream names its hold first.</summary>
public interface IHoldEvent
{
    Guid HoldId { get; }
}

public interface IHoldRequested : IHoldEvent
{
    HoldRequest ToRequest();
}

public interface IHoldReserved : IHoldEvent
{
    string PartnerReference { get; }
}

public interface IHoldRejected : IHoldEvent
{
    string PartnerReference { get; }

    string Reason { get; }
}

public interface IHoldCleared : IHoldEvent;

public interface IHoldReleased : IHoldEvent;

/// <summary>
/// The aggregate of one allocation or one deallocation stream. Both kinds share this
/// lifecycle, so one fold (with its transition checks) serves both; each kind keeps its own
/// event names. Apply methods are one line and do not validate; <see cref="Fold"/> checks
/// transitions, because a replayed stream is where corruption would show.
/// </summary>
public sealed record Hold(
    HoldRequest Request,
    HoldStatus Status,
    string? PartnerReference,
    string? RejectionReason,
    int Version
)
{
    public Guid Id => Request.Id;

    public static Hold Create(IHoldRequested e) =>
        new(e.ToRequest(), HoldStatus.Requested, PartnerReference: null, RejectionReason: null, 1);

    public Hold Apply(IHoldReserved e) =>
        this with
        {
            Status = HoldStatus.Reserved,
            PartnerReference = e.PartnerReference,
            Version = Version + 1,
        };

    public Hold Apply(IHoldRejected e) =>
        this with
        {
            Status = HoldStatus.Rejected,
            PartnerReference = e.PartnerReference,
            RejectionReason = e.Reason,
            Version = Version + 1,
        };

    public Hold Apply(IHoldCleared e) =>
        this with
        {
            Status = HoldStatus.Cleared,
            Version = Version + 1,
        };

    public Hold Apply(IHoldReleased e) =>
        this with
        {
            Status = HoldStatus.Released,
            Version = Version + 1,
        };

    /// <summary>Replays a stream; an event out of place is corrupted data and throws.</summary>
    public static Hold? Fold(IEnumerable<object> events)
    {
        Hold? state = null;
        foreach (object e in events)
        {
            state = Next(state, e);
        }
        return state;
    }

    /// <summary>One step of a replay, checking that the event may follow the state.</summary>
    public static Hold Next(Hold? state, object e)
    {
        if (state is not null && e is IHoldEvent held && held.HoldId != state.Id)
        {
            throw new InvariantViolationException(
                $"event for hold {held.HoldId} found in the stream of hold {state.Id}"
            );
        }
        return (state, e) switch
        {
            (null, IHoldRequested r) => Create(r),
            ({ Status: HoldStatus.Requested } s, IHoldReserved r) => s.Apply(r),
            ({ Status: HoldStatus.Requested } s, IHoldRejected r) => s.Apply(r),
            ({ Status: HoldStatus.Reserved } s, IHoldCleared c) => s.Apply(c),
            ({ Status: HoldStatus.Reserved } s, IHoldReleased r) => s.Apply(r),
            _ => throw new InvariantViolationException(
                $"{e.GetType().Name} cannot follow status {state?.Status.ToString() ?? "none"}"
            ),
        };
    }
}
