using System.Threading.Channels;
using Ledger.Api.Hosting;
using Ledger.Api.Security;
using Ledger.Domain.Balances;
using Ledger.EventStore;

namespace Ledger.Api.Holds;

/// <summary>A clear or release decided on its hold as read, to append in the next settle group.</summary>
public sealed record SettleCommand(
    Guid HoldId,
    string StreamType,
    int ExpectedVersion,
    object Event,
    BalanceKey Key,
    EventMetadata Metadata,
    PendingJti? Jti
);

/// <summary>How a settle group ended for one settlement.</summary>
public enum SettleOutcome
{
    /// <summary>Appended; durable before this was set.</summary>
    Committed,

    /// <summary>The group did not commit: run this settlement alone, which answers exactly.</summary>
    RetryAlone,
}

/// <summary>
/// Group commit for settlements (ADR 0016): concurrent clears and releases, each decided by its
/// handler on the hold it read, are appended in one transaction with one fsync, as
/// <see cref="OpenBatcher"/> does for opens. Each keeps its own jti and version check; any that
/// fails (a replayed token, a hold settled meanwhile) fails the group before its COMMIT, having
/// written nothing, and every settlement of the group then runs alone on the single path, which
/// tells each its own answer. Only the database's row locks and unique keys exclude, so several
/// nodes stay correct. Ledger:GroupCommit=false turns it off with the open batcher.
/// </summary>
public sealed class SettleBatcher : BackgroundService
{
    /// <summary>Settlements in one group: one session's streams at most.</summary>
    public const int BatchSizeMax = EventSession.StreamsPerSessionMax;

    /// <summary>Settlements waiting beyond this make their handlers wait to enqueue.</summary>
    public const int QueueCapacity = 4_096;

    private readonly IServiceProvider _services;
    private readonly ILogger<SettleBatcher> _logger;

    private readonly Channel<PendingSettle> _queue = Channel.CreateBounded<PendingSettle>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.Wait }
    );

    public SettleBatcher(
        IConfiguration configuration,
        IServiceProvider services,
        ILogger<SettleBatcher> logger
    )
    {
        _services = services;
        _logger = logger;
        Enabled = configuration.GetValue("Ledger:GroupCommit", defaultValue: true);
    }

    public bool Enabled { get; }

    /// <summary>Queues a settlement and waits for its group. A stopped batcher answers RetryAlone.</summary>
    public async Task<SettleOutcome> SubmitAsync(
        SettleCommand command,
        CancellationToken cancellationToken
    )
    {
        var pending = new PendingSettle(command);
        try
        {
            await _queue.Writer.WriteAsync(pending, cancellationToken);
        }
        catch (ChannelClosedException)
        {
            return SettleOutcome.RetryAlone;
        }
        // The group commits whether or not this caller still waits, as for opens.
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
        // service's StartAsync.
        var ledger = _services.GetRequiredService<LedgerServices>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                var group = new List<PendingSettle>();
                while (group.Count < BatchSizeMax && _queue.Reader.TryRead(out PendingSettle? next))
                {
                    group.Add(next);
                }
                await RunGroupAsync(group, ledger.Store, _logger, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the server has drained its requests by now.
        }
        finally
        {
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out PendingSettle? left))
            {
                left.Completion.TrySetResult(SettleOutcome.RetryAlone);
            }
        }
    }

    /// <summary>
    /// One transaction, one round trip: every jti, then every hold's stream claimed at the
    /// version it was decided on (sorted by hold id, so two groups claim shared holds in one
    /// order), then their balance rows locked in key order (as an open group locks them), then
    /// the events and their projections, then the COMMIT. Set-based: a fixed number of
    /// statements whatever the group's size (EventSession.CommitSetBasedAsync).
    /// </summary>
    public static async Task RunGroupAsync(
        IReadOnlyList<PendingSettle> group,
        Ledger.EventStore.EventStore store,
        ILogger logger,
        CancellationToken cancellationToken
    )
    {
        // A second settlement of one hold, or a second use of one jti, runs alone: it is a
        // retry or a replay, and the single path answers it from what the first one wrote.
        var holds = new HashSet<Guid>();
        var jtis = new HashSet<string>();
        var members = new List<PendingSettle>();
        foreach (PendingSettle pending in group)
        {
            SettleCommand command = pending.Command;
            if (holds.Add(command.HoldId) && (command.Jti is null || jtis.Add(command.Jti.Jti)))
            {
                members.Add(pending);
            }
            else
            {
                pending.Completion.TrySetResult(SettleOutcome.RetryAlone);
            }
        }
        members.Sort((a, b) => a.Command.HoldId.CompareTo(b.Command.HoldId));
        try
        {
            await using EventSession session = await store.BeginSessionAsync(
                members[0].Command.Metadata,
                cancellationToken
            );
            PendingJti[] memberJtis = [.. members.Select(m => m.Command.Jti).OfType<PendingJti>()];
            if (memberJtis.Length > 0)
            {
                session.Assume(
                    JtiStore.RecordCommand(memberJtis),
                    memberJtis.Length,
                    "each jti is the group's own"
                );
            }
            foreach (PendingSettle member in members)
            {
                SettleCommand command = member.Command;
                session.Append(
                    command.HoldId,
                    command.StreamType,
                    command.ExpectedVersion,
                    [command.Event],
                    command.Metadata
                );
            }
            session.AfterClaims(
                GroupReads.LockRows([.. members.Select(m => m.Command.Key).Distinct()])
            );
            await session.CommitSetBasedAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The service is stopping; whatever was not committed runs alone if it still can.
            Complete(members, SettleOutcome.RetryAlone);
            return;
        }
        catch (Exception e) when (e is StaleAssumptionException or ConcurrencyException)
        {
            // A replay or a lost race among them: each finds its own answer alone.
            Complete(members, SettleOutcome.RetryAlone);
            return;
        }
        catch (Exception e) when (DatabaseResilience.IsOutage(e))
        {
            // Each meets the outage as it would alone (its retries, then 503). A commit whose
            // outcome is unknown is found by the retry: its jti is its own and its hold moved.
            foreach (PendingSettle member in members)
            {
                member.Completion.TrySetException(e);
            }
            return;
        }
        catch (Exception e)
        {
            logger.LogWarning(
                e,
                "A group of {Count} settlements failed as a whole; each runs alone",
                members.Count
            );
            Complete(members, SettleOutcome.RetryAlone);
            return;
        }
        Complete(members, SettleOutcome.Committed);
    }

    private static void Complete(IEnumerable<PendingSettle> members, SettleOutcome outcome)
    {
        foreach (PendingSettle member in members)
        {
            member.Completion.TrySetResult(outcome);
        }
    }
}

/// <summary>One settlement waiting in the queue, with the promise its handler awaits.</summary>
public sealed class PendingSettle(SettleCommand command)
{
    public SettleCommand Command { get; } = command;

    public TaskCompletionSource<SettleOutcome> Completion { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);
}
