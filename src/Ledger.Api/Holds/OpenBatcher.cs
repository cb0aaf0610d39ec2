using System.Threading.Channels;
using Ledger.Api.Hosting;
using Ledger.Api.Security;
using Ledger.Domain;
using Ledger.Domain.Connections;
using Ledger.Domain.Holds;
using Ledger.EventStore;

namespace Ledger.Api.Holds;

/// <summary>A new hold to open in the next group: what HoldFlow decides with, and for whom.</summary>
public sealed record OpenCommand(
    string StreamType,
    Func<IReadOnlyList<object>, FundsRange>? FundsStandFor,
    Func<HoldRequest, Connection?, CurrencyCatalog, Quantity, string, IReadOnlyList<object>> Decide,
    HoldRequest Request,
    EventMetadata Metadata,
    PendingJti? Jti
)
{
    public bool LocksFunds => FundsStandFor is not null;
}

/// <summary>How a group ended for one open; the handler turns it into the answer.</summary>
public abstract record OpenOutcome
{
    private OpenOutcome() { }

    /// <summary>Committed: these are the stream's events, durable before this was set.</summary>
    public sealed record Committed(IReadOnlyList<object> Events) : OpenOutcome;

    /// <summary>A committed stream holds the id: a duplicate, answered from what is stored.</summary>
    public sealed record Exists : OpenOutcome;

    /// <summary>The token's jti was used before: the filter answers 401.</summary>
    public sealed record Replayed : OpenOutcome;

    /// <summary>The group failed as a whole: run this open on its own, on the single path.</summary>
    public sealed record RetryAlone : OpenOutcome;

    public static OpenOutcome ExistsOutcome { get; } = new Exists();

    public static OpenOutcome ReplayedOutcome { get; } = new Replayed();

    public static OpenOutcome RetryAloneOutcome { get; } = new RetryAlone();
}

/// <summary>One open waiting in the queue, with the promise its handler awaits.</summary>
public sealed class PendingOpen(OpenCommand command)
{
    public OpenCommand Command { get; } = command;

    public TaskCompletionSource<OpenOutcome> Completion { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Group commit for new holds (ADR 0010): concurrent opens queue here, and a loop takes
/// whatever queued while the previous group was being prepared (no timer, so an idle ledger
/// adds no latency) and commits it as one transaction with one fsync. A loop starts beside
/// another only once enough opens wait (<see cref="GroupGate"/>). Nothing here is needed for
/// correctness: every exclusion is a row lock or the streams' unique key, so several loops,
/// or several nodes, stay correct. Ledger:GroupCommit=false turns it off.
/// </summary>
public sealed class OpenBatcher : BackgroundService
{
    /// <summary>Opens in one group; a larger group only makes its transaction longer.</summary>
    public const int BatchSizeMax = 256;

    /// <summary>Opens waiting beyond this make their handlers wait to enqueue (backpressure).</summary>
    public const int QueueCapacity = 4_096;

    /// <summary>
    /// Loops running groups side by side (Ledger:GroupCommitLoops). One loop runs one group at
    /// a time, a chain of round trips that leaves a core idle while PostgreSQL or the
    /// loop waits; a second loop fills it, at the price of groups half as large. On the 2-core
    /// benchmark machine two loops served about 10% more reservations than one, at about a
    /// tenth more CPU each (docs/benchmarks.md, "Fifth round"). Loops contend only on the rows
    /// they share, and then wait like any two transactions.
    /// </summary>
    public const int LoopCountDefault = 2;

    public const int LoopCountMax = 8;

    /// <summary>
    /// Opens that must wait before a loop starts a group while another loop's group runs
    /// (Ledger:GroupCommitOverlapMin; <see cref="GroupGate"/>). With 1 a loop always starts at
    /// once, as before. On the benchmark machine, at 32 clients, 8 served about 7% more
    /// reservations than 1, and more than 4 or 12 (docs/benchmarks.md, "Seventh round").
    /// </summary>
    public const int OverlapOpensMinDefault = 8;

    private readonly IServiceProvider _services;
    private readonly ILogger<OpenBatcher> _logger;
    private readonly GroupGate _gate;

    private readonly Channel<PendingOpen> _queue = Channel.CreateBounded<PendingOpen>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.Wait }
    );

    public OpenBatcher(
        IConfiguration configuration,
        IServiceProvider services,
        ILogger<OpenBatcher> logger
    )
    {
        _services = services;
        _logger = logger;
        Enabled = configuration.GetValue("Ledger:GroupCommit", defaultValue: true);
        LoopCount = Math.Clamp(
            configuration.GetValue("Ledger:GroupCommitLoops", LoopCountDefault),
            1,
            LoopCountMax
        );
        _gate = new GroupGate(
            Math.Clamp(
                configuration.GetValue("Ledger:GroupCommitOverlapMin", OverlapOpensMinDefault),
                1,
                BatchSizeMax
            ),
            () => _queue.Reader.Count
        );
    }

    public bool Enabled { get; }

    public int LoopCount { get; }

    /// <summary>Queues an open and waits for its group. A stopped batcher answers RetryAlone.</summary>
    public async Task<OpenOutcome> SubmitAsync(
        OpenCommand command,
        CancellationToken cancellationToken
    )
    {
        var pending = new PendingOpen(command);
        if (_queue.Writer.TryWrite(pending))
        {
            _gate.Queued();
        }
        else
        {
            try
            {
                await _queue.Writer.WriteAsync(pending, cancellationToken);
                _gate.Queued();
            }
            catch (ChannelClosedException)
            {
                return OpenOutcome.RetryAloneOutcome;
            }
        }
        // The group commits whether or not this caller still waits: a client that gave up
        // learns the outcome from its retry, as after any timeout.
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            _queue.Writer.TryComplete();
            return;
        }
        // Resolved here, not in the constructor: the database opens in an earlier hosted
        // service's StartAsync, and hosted services are all constructed before any starts.
        var ledger = _services.GetRequiredService<LedgerServices>();
        try
        {
            await Task.WhenAll(
                Enumerable.Range(0, LoopCount).Select(_ => LoopAsync(ledger, stoppingToken))
            );
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the server has drained its requests by now.
        }
        finally
        {
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out PendingOpen? left))
            {
                left.Completion.TrySetResult(OpenOutcome.RetryAloneOutcome);
            }
        }
    }

    /// <summary>
    /// Takes what queued and runs it as a group (OpenGroup.RunAsync): one round trip when this
    /// node's caches hold every row it names, else two (claims, reads, locks and decisions,
    /// then inserts and the commit), and answers. The loop holds nothing while it waits for its
    /// next group, so a slow disk backs the queue up rather than piling up connections. A group
    /// that needs a row another loop's group holds waits for that commit, as any two
    /// transactions do. (Measured and dropped, in
    /// docs/benchmarks.md: the COMMIT in a round trip of its own, so that the loop could
    /// prepare its next group meanwhile, which made every group wait for a third round trip
    /// (eighth round); three stages, with one group's insert overlapping the next
    /// one's claim, which made smaller groups and cost more CPU per open; and synchronous
    /// database calls on threads of the loop's own.)
    /// </summary>
    private async Task LoopAsync(LedgerServices ledger, CancellationToken stoppingToken)
    {
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            await _gate.EnterAsync(stoppingToken);
            try
            {
                var group = new List<PendingOpen>();
                while (group.Count < BatchSizeMax && _queue.Reader.TryRead(out PendingOpen? next))
                {
                    group.Add(next);
                }
                if (group.Count == 0)
                {
                    continue; // Another loop took them; the finally still leaves the gate.
                }
                await OpenGroup.RunAsync(group, ledger, _logger, stoppingToken);
            }
            finally
            {
                _gate.Exit();
            }
        }
    }
}
