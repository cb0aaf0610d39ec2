using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Ledger.Api.Audit;

/// <summary>
/// Reads the log on a thread of its own and hands every batch of events to each consumer,
/// each on its own thread, so that decoding rows off the wire overlaps the consumers' work
/// (verify checks the hash chains on one thread while it decodes and folds on another).
/// Batches keep the hand-over cheap; bounded queues keep memory constant whichever side is
/// faster. A failure anywhere stops the reader and every consumer, and is rethrown.
/// </summary>
internal sealed class LogPipeline : IDisposable
{
    private const int EventsPerBatch = 1_024;

    private const int BatchesQueuedMax = 64;

    private readonly LogReader _reader;
    private readonly CancellationTokenSource _stop = new();
    private BlockingCollection<LoggedEvent[]>[] _queues = [];
    private long _readTicks;

    /// <summary>The pipeline owns the reader and disposes it.</summary>
    public LogPipeline(LogReader reader)
    {
        _reader = reader;
    }

    /// <summary>Time the reading thread spent decoding rows (alongside the consumers).</summary>
    public TimeSpan ReadTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _readTicks));

    /// <summary>
    /// Runs the consumers, the first on the calling thread, until each has seen every event in
    /// seq order. Throws the first failure, preferring a real one to the cancellations it
    /// caused in the other threads.
    /// </summary>
    public void Run(
        IReadOnlyList<Action<IEnumerable<LoggedEvent>>> consumers,
        CancellationToken cancellationToken
    )
    {
        ArgumentOutOfRangeException.ThrowIfZero(consumers.Count);
        _queues =
        [
            .. consumers.Select(_ => new BlockingCollection<LoggedEvent[]>(BatchesQueuedMax)),
        ];
        var failures = new ConcurrentQueue<Exception>();
        Task reading = Task.Factory.StartNew(
            () => Guard(Read, failures),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default
        );
        Task[] others =
        [
            .. consumers
                .Skip(1)
                .Select(
                    (consume, i) =>
                        Task.Factory.StartNew(
                            () => Guard(() => consume(Events(i + 1, cancellationToken)), failures),
                            CancellationToken.None,
                            TaskCreationOptions.LongRunning,
                            TaskScheduler.Default
                        )
                ),
        ];
        Guard(() => consumers[0](Events(0, cancellationToken)), failures);
        Task.WaitAll([reading, .. others], CancellationToken.None);
        if (!failures.IsEmpty)
        {
            Exception first =
                failures.FirstOrDefault(f => f is not OperationCanceledException)
                ?? failures.First();
            ExceptionDispatchInfo.Throw(first);
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        foreach (BlockingCollection<LoggedEvent[]> queue in _queues)
        {
            queue.Dispose();
        }
        _stop.Dispose();
    }

    /// <summary>Runs one thread's work; a failure is recorded and stops everyone else.</summary>
    private void Guard(Action work, ConcurrentQueue<Exception> failures)
    {
        try
        {
            work();
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            failures.Enqueue(failure);
            _stop.Cancel();
        }
    }

    private IEnumerable<LoggedEvent> Events(int consumer, CancellationToken cancellationToken)
    {
        using var stopped = CancellationTokenSource.CreateLinkedTokenSource(
            cancellationToken,
            _stop.Token
        );
        foreach (LoggedEvent[] batch in _queues[consumer].GetConsumingEnumerable(stopped.Token))
        {
            foreach (LoggedEvent e in batch)
            {
                yield return e;
            }
        }
    }

    private void Read()
    {
        try
        {
            var batch = new List<LoggedEvent>(EventsPerBatch);
            long started = Stopwatch.GetTimestamp();
            while (_reader.Read() is { } e)
            {
                batch.Add(e);
                if (batch.Count == EventsPerBatch)
                {
                    Hand(batch, ref started);
                }
            }
            Hand(batch, ref started);
        }
        finally
        {
            foreach (BlockingCollection<LoggedEvent[]> queue in _queues)
            {
                queue.CompleteAdding();
            }
        }
    }

    /// <summary>
    /// Queues a batch for every consumer; time spent waiting for room is not reading time.
    /// </summary>
    private void Hand(List<LoggedEvent> batch, ref long started)
    {
        Interlocked.Add(ref _readTicks, Stopwatch.GetTimestamp() - started);
        if (batch.Count > 0)
        {
            LoggedEvent[] events = [.. batch];
            foreach (BlockingCollection<LoggedEvent[]> queue in _queues)
            {
                queue.Add(events, _stop.Token);
            }
            batch.Clear();
        }
        started = Stopwatch.GetTimestamp();
    }
}
