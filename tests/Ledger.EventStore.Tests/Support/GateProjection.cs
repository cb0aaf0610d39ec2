namespace Ledger.EventStore.Tests.Support;

/// <summary>
/// Holds a commit still after its streams are claimed and before its events are inserted, so a
/// test can line a racing writer up behind the claimed stream row. Project runs on the
/// committing thread, so it blocks that thread; tests commit on Task.Run.
/// </summary>
public sealed class GateProjection : IInlineProjection, IDisposable
{
    private static readonly TimeSpan HoldTimeout = TimeSpan.FromSeconds(10);

    private readonly TaskCompletionSource _entered = new(
        TaskCreationOptions.RunContinuationsAsynchronously
    );

    private readonly ManualResetEventSlim _release = new();

    /// <summary>Completes once a commit holds its claims and waits at the gate.</summary>
    public Task Entered => _entered.Task;

    public void Release() => _release.Set();

    public void Project(IReadOnlyList<PendingEvent> events, ProjectionBatch batch)
    {
        _entered.TrySetResult();
        if (!_release.Wait(HoldTimeout))
        {
            throw new TimeoutException($"the gate was not released within {HoldTimeout}");
        }
    }

    public void Dispose() => _release.Dispose();
}
