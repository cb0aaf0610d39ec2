using Ledger.Api.Hosting;
using Ledger.Domain;
using Ledger.Domain.Balances;
using Ledger.Domain.Connections;
using Ledger.EventStore;
using Npgsql;

namespace Ledger.Api.Holds;

/// <summary>
/// One group of opens as one transaction (ADR 0010): claim every new stream (round trip 1,
/// with the connections), lock the balance rows in key order (round trip 2), decide each
/// claimed open in arrival order with the pure domain decision, insert every event and view
/// row (round trip 3), commit. Only then is any open answered. A duplicate or a refusal is an
/// outcome of its own open, never a failure of its neighbours; a group that fails as a whole
/// sends each open back to the single path.
/// </summary>
public static class OpenGroup
{
    /// <summary>An open is always two events: requested, then reserved or rejected.</summary>
    public const int OpenEventCount = 2;

    public static async Task RunAsync(
        IReadOnlyList<PendingOpen> opens,
        LedgerServices services,
        ILogger logger,
        CancellationToken cancellationToken
    )
    {
        // The first open of each id leads; a later one in the same group is its duplicate and
        // is answered from the stored stream once the leader's outcome is known.
        var leaders = new List<PendingOpen>();
        var followers = new List<PendingOpen>();
        var ids = new HashSet<Guid>();
        foreach (PendingOpen open in opens)
        {
            (ids.Add(open.Command.Request.Id) ? leaders : followers).Add(open);
        }
        try
        {
            await CommitAsync(leaders, services, cancellationToken);
            Complete(followers, OpenOutcome.ExistsOutcome);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The service is stopping; whatever was not committed runs alone if it still can.
            Complete(opens, OpenOutcome.RetryAloneOutcome);
        }
        catch (Exception e) when (DatabaseResilience.IsUnavailable(e) && !IsLockConflict(e))
        {
            // The database is unreachable: each open meets it as it would alone (a retry, then
            // 503), never a false answer. A commit whose outcome is unknown is found on retry:
            // its claim then fails and the open is answered from the stored stream.
            foreach (PendingOpen open in opens)
            {
                open.Completion.TrySetException(e);
            }
        }
        catch (Exception e)
        {
            // A deadlock, or a bug in one open's data: nothing of the group was committed, and
            // each open runs alone, so only a faulty open fails.
            logger.LogWarning(
                e,
                "A group of {Count} opens failed as a whole; each runs alone",
                opens.Count
            );
            Complete(opens, OpenOutcome.RetryAloneOutcome);
        }
    }

    private static async Task CommitAsync(
        List<PendingOpen> leaders,
        LedgerServices services,
        CancellationToken cancellationToken
    )
    {
        await using GroupSession session = await services.Store.BeginGroupSessionAsync(
            cancellationToken
        );
        var connections = new Dictionary<Guid, Connection>();
        IReadOnlySet<Guid> won = await session.ClaimNewStreamsAsync(
            [
                .. leaders.Select(o => new NewStream(
                    o.Command.Request.Id,
                    o.Command.StreamType,
                    OpenEventCount
                )),
            ],
            GroupReads.Connections(
                leaders.Select(o => o.Command.Request.ConnectionId),
                services.Store.Registry,
                connections
            ),
            cancellationToken
        );
        // A lost claim means a committed stream holds the id; it needs nothing from this group.
        Complete(
            leaders.Where(o => !won.Contains(o.Command.Request.Id)),
            OpenOutcome.ExistsOutcome
        );
        List<PendingOpen> claimed = [.. leaders.Where(o => won.Contains(o.Command.Request.Id))];
        if (claimed.Count == 0)
        {
            return;
        }
        IReadOnlyList<object>[] decisions = await DecideAsync(
            session,
            claimed,
            connections,
            services.Currencies,
            cancellationToken
        );
        for (int i = 0; i < claimed.Count; i++)
        {
            session.StartStream(
                claimed[i].Command.Request.Id,
                decisions[i],
                claimed[i].Command.Metadata
            );
        }
        await session.CommitAsync(cancellationToken);
        for (int i = 0; i < claimed.Count; i++)
        {
            claimed[i].Completion.TrySetResult(new OpenOutcome.Committed(decisions[i]));
        }
    }

    /// <summary>
    /// Decides every claimed open. An open that does not lock funds (an allocation) decides on
    /// its connection alone, and its balance row is created if missing; then every row the
    /// group touches is locked in one sorted pass; then the opens that lock funds decide in
    /// arrival order, each seeing what the earlier ones in the group reserved.
    /// </summary>
    private static async Task<IReadOnlyList<object>[]> DecideAsync(
        GroupSession session,
        List<PendingOpen> claimed,
        Dictionary<Guid, Connection> connections,
        CurrencyCatalog currencies,
        CancellationToken cancellationToken
    )
    {
        var decisions = new IReadOnlyList<object>[claimed.Count];
        var created = new HashSet<BalanceKey>();
        var locked = new HashSet<BalanceKey>();
        for (int i = 0; i < claimed.Count; i++)
        {
            OpenCommand command = claimed[i].Command;
            if (command.LocksFunds)
            {
                locked.Add(KeyOf(command));
                continue;
            }
            decisions[i] = Decide(command, connections, currencies, Quantity.Zero);
            foreach (
                BalanceDelta delta in decisions[i].Select(BalanceEffects.Of).OfType<BalanceDelta>()
            )
            {
                created.Add(delta.Key);
                locked.Add(delta.Key);
            }
        }
        Dictionary<BalanceKey, Quantity> available = await GroupReads.LockBalancesAsync(
            session,
            created,
            locked,
            cancellationToken
        );
        for (int i = 0; i < claimed.Count; i++)
        {
            OpenCommand command = claimed[i].Command;
            if (command.LocksFunds)
            {
                decisions[i] = Decide(command, connections, currencies, available[KeyOf(command)]);
            }
            foreach (
                BalanceDelta delta in decisions[i].Select(BalanceEffects.Of).OfType<BalanceDelta>()
            )
            {
                // Quantity.From throws below zero: a decision that overspends is a bug, and the
                // group then fails as a whole rather than commit it.
                available[delta.Key] = Quantity.From(available[delta.Key].Value + delta.Available);
            }
        }
        return decisions;
    }

    private static IReadOnlyList<object> Decide(
        OpenCommand command,
        Dictionary<Guid, Connection> connections,
        CurrencyCatalog currencies,
        Quantity available
    )
    {
        IReadOnlyList<object> events = command.Decide(
            command.Request,
            connections.GetValueOrDefault(command.Request.ConnectionId),
            currencies,
            available,
            Guid.CreateVersion7().ToString()
        );
        if (events.Count != OpenEventCount)
        {
            throw new InvariantViolationException(
                $"an open decided {events.Count} events, not {OpenEventCount}"
            );
        }
        return events;
    }

    private static BalanceKey KeyOf(OpenCommand command) =>
        new(
            command.Request.ClientId,
            command.Request.ConnectionId,
            command.Request.Amount.Currency
        );

    private static bool IsLockConflict(Exception e) =>
        e
            is PostgresException
            {
                SqlState: PostgresErrorCodes.DeadlockDetected
                    or PostgresErrorCodes.SerializationFailure
                    or PostgresErrorCodes.LockNotAvailable
            };

    private static void Complete(IEnumerable<PendingOpen> opens, OpenOutcome outcome)
    {
        foreach (PendingOpen open in opens)
        {
            open.Completion.TrySetResult(outcome);
        }
    }
}
