namespace Ledger.Api.Holds;

/// <summary>
/// When a group loop may start a group while another loop's group is still under way (being
/// prepared or committed). A loop that came back to a near-empty queue used to start at once:
/// a third of all groups held a single open, and each paid a group's whole fixed cost, about
/// 1.1 ms of PostgreSQL's CPU (docs/benchmarks.md, "Seventh round"). Now a loop starts beside
/// another only once <see cref="OverlapOpensMin"/> opens wait; until then it waits for them, or
/// for the other loop's group to end. With no other group under way it starts at once, so an
/// idle ledger adds no latency and one loop never waits. Nothing here is needed for correctness:
/// any two groups exclude each other by row locks alone (ADR 0010).
/// </summary>
public sealed class GroupGate(int overlapOpensMin, Func<int> queuedOpens)
{
    private int _running;
    private int _waiting;
    private TaskCompletionSource _changed = NewSignal();

    public int OverlapOpensMin { get; } =
        overlapOpensMin >= 1
            ? overlapOpensMin
            : throw new ArgumentOutOfRangeException(nameof(overlapOpensMin));

    /// <summary>Loops now between <see cref="EnterAsync"/> and <see cref="Exit"/>.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Waits until a group is worth starting, then counts this loop as running one.</summary>
    public async Task EnterAsync(CancellationToken cancellationToken)
    {
        if (MayStart())
        {
            Interlocked.Increment(ref _running);
            return;
        }
        Interlocked.Increment(ref _waiting);
        try
        {
            while (true)
            {
                // Taken before the check: a change after it completes this task, so no
                // wake-up is lost between the check and the wait.
                Task changed = Volatile.Read(ref _changed).Task;
                if (MayStart())
                {
                    break;
                }
                await changed.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
        Interlocked.Increment(ref _running);
    }

    /// <summary>This loop's group has committed and answered, or failed.</summary>
    public void Exit()
    {
        if (Interlocked.Decrement(ref _running) < 0)
        {
            throw new InvalidOperationException("a loop left the gate without entering it");
        }
        Signal();
    }

    /// <summary>An open was queued: a waiting loop may now have enough to start.</summary>
    public void Queued()
    {
        if (Volatile.Read(ref _waiting) > 0 && queuedOpens() >= OverlapOpensMin)
        {
            Signal();
        }
    }

    private bool MayStart() => Volatile.Read(ref _running) == 0 || queuedOpens() >= OverlapOpensMin;

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() =>
        new(TaskCreationOptions.RunContinuationsAsynchronously);
}
