using Ledger.Api.Hosting;
using Ledger.Api.Security;
using Ledger.Domain;
using Ledger.Domain.Balances;
using Ledger.Domain.Connections;
using Ledger.Domain.Holds;
using Ledger.EventStore;
using Npgsql;

namespace Ledger.Api.Holds;

/// <summary>
/// One group of opens as one transaction (ADR 0010). Prepared in one round trip: record every
/// token's jti, claim every new stream, read the connections and lock the balance rows in key
/// order; then each claimed open decides in arrival order with the pure domain decision. Then
/// every event and view row is inserted, and the group commits, in a second round trip; only
/// then is any open answered. A replayed token, a duplicate or a refusal is an outcome of its
/// own open, never a failure of its neighbours; a group that fails as a whole sends each open
/// back to the single path.
/// </summary>
public static class OpenGroup
{
    /// <summary>An open is always two events: requested, then reserved or rejected.</summary>
    public const int OpenEventCount = 2;

    /// <summary>Prepares and commits one group, then answers each open: what the batcher does.</summary>
    public static async Task RunAsync(
        IReadOnlyList<PendingOpen> opens,
        LedgerServices services,
        ILogger logger,
        CancellationToken cancellationToken
    )
    {
        PreparedGroup? prepared = await PrepareInOneTripAsync(
            opens,
            services,
            logger,
            cancellationToken
        );
        if (prepared is not null && await prepared.CommitAsync(cancellationToken))
        {
            return;
        }
        prepared = await PrepareAsync(opens, services, logger, cancellationToken);
        if (prepared is not null)
        {
            await prepared.CommitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Decides every open on what this node's groups last committed (<see cref="GroupCache"/>,
    /// <see cref="ConnectionCache"/>), so that the group claims, checks and commits in one
    /// round trip: its commit fails as stale, having written nothing, unless every jti is new,
    /// every id new, every connection at the version decided on and every balance row, once
    /// locked, holding funds for which every decision stands. Null when an open needs reading
    /// first: a replay or a duplicate in the group, an id known to exist, an open that locks
    /// no funds, a connection or balance row not cached, or a failure before the commit; the
    /// group then takes two round trips.
    /// </summary>
    private static async Task<PreparedGroup?> PrepareInOneTripAsync(
        IReadOnlyList<PendingOpen> opens,
        LedgerServices services,
        ILogger logger,
        CancellationToken cancellationToken
    )
    {
        var jtis = new Dictionary<string, PendingJti>();
        var ids = new HashSet<Guid>();
        var connections = new Dictionary<Guid, Connection>();
        var available = new Dictionary<BalanceKey, Quantity>();
        foreach (PendingOpen open in opens)
        {
            OpenCommand command = open.Command;
            Guid connectionId = command.Request.ConnectionId;
            BalanceKey key = command.Request.BalanceKey;
            if (
                !command.LocksFunds
                || !ids.Add(command.Request.Id)
                || services.GroupCache.IsKnown(command.Request.Id)
                || (command.Jti is { } jti && !jtis.TryAdd(jti.Jti, jti))
            )
            {
                return null;
            }
            if (!connections.ContainsKey(connectionId))
            {
                if (services.ConnectionCache.Find(connectionId) is not { } connection)
                {
                    return null;
                }
                connections[connectionId] = connection;
            }
            if (!available.ContainsKey(key))
            {
                if (services.GroupCache.Available(key) is not { } funds)
                {
                    return null;
                }
                available[key] = funds;
            }
        }
        var cached = new Dictionary<BalanceKey, Quantity>(available);
        var needed = available.Keys.ToDictionary(k => k, _ => FundsRange.Any);
        GroupSession? session = null;
        try
        {
            var decisions = new IReadOnlyList<object>[opens.Count];
            for (int i = 0; i < opens.Count; i++)
            {
                OpenCommand command = opens[i].Command;
                BalanceKey key = command.Request.BalanceKey;
                decisions[i] = Decide(command, connections, services.Currencies, available[key]);
                // What this decision needs of the funds the group starts from: its own range,
                // moved up by what the opens before it in the group reserved.
                needed[key] = needed[key]
                    .And(command.FundsStandFor!(decisions[i]).Before(cached[key] - available[key]));
                Spend(decisions[i], available);
            }
            if (needed.Any(n => !n.Value.Contains(cached[n.Key])))
            {
                throw new InvariantViolationException(
                    "a group's decisions do not stand for the funds they were decided on"
                );
            }
            services.GroupCache.Keep(available);
            session = await services.Store.BeginGroupSessionAsync(cancellationToken);
            session.ClaimInCommit(
                [
                    .. opens.Select(o => new NewStream(
                        o.Command.Request.Id,
                        o.Command.StreamType,
                        OpenEventCount
                    )),
                ],
                jtis.Count > 0 ? [JtiStore.RecordAssumingOwn(jtis.Values)] : [],
                [
                    GroupReads.ConnectionsUnchanged(connections.Values),
                    GroupReads.BalancesWithin(needed),
                ]
            );
            for (int i = 0; i < opens.Count; i++)
            {
                OpenCommand command = opens[i].Command;
                session.StartStream(command.Request.Id, decisions[i], command.Metadata);
            }
            return new PreparedGroup(
                session,
                logger,
                services.GroupCache,
                opens,
                [.. jtis.Values],
                opens,
                decisions,
                [],
                [],
                [.. available.Keys]
            );
        }
        catch (Exception)
        {
            // The two-trip path meets the same failure, and answers it as a failed group.
            services.GroupCache.Forget(available.Keys);
            if (session is not null)
            {
                await session.DisposeAsync();
            }
            return null;
        }
    }

    /// <summary>
    /// Runs the group's first round trip and decides every open: its streams are claimed and
    /// its balance rows locked, and what remains is to insert and commit. Null when the group
    /// failed; its opens then have their outcomes already.
    /// </summary>
    private static async Task<PreparedGroup?> PrepareAsync(
        IReadOnlyList<PendingOpen> opens,
        LedgerServices services,
        ILogger logger,
        CancellationToken cancellationToken
    )
    {
        GroupSession? session = null;
        try
        {
            session = await services.Store.BeginGroupSessionAsync(cancellationToken);
            return await PrepareAsync(session, opens, services, logger, cancellationToken);
        }
        catch (Exception e)
        {
            if (session is not null)
            {
                await session.DisposeAsync();
            }
            Fail(opens, e, logger, cancellationToken);
            return null;
        }
    }

    private static async Task<PreparedGroup> PrepareAsync(
        GroupSession session,
        IReadOnlyList<PendingOpen> opens,
        LedgerServices services,
        ILogger logger,
        CancellationToken cancellationToken
    )
    {
        // A second open with a jti already in this group is its replay. Of the rest, the first
        // open of each id leads; a later one is its duplicate, answered from the stored stream
        // once the leader's outcome is known.
        var leaders = new List<PendingOpen>();
        var followers = new List<PendingOpen>();
        var replays = new List<PendingOpen>();
        var ids = new HashSet<Guid>();
        var jtis = new Dictionary<string, PendingJti>();
        foreach (PendingOpen open in opens)
        {
            if (open.Command.Jti is { } jti && !jtis.TryAdd(jti.Jti, jti))
            {
                replays.Add(open);
            }
            else
            {
                (ids.Add(open.Command.Request.Id) ? leaders : followers).Add(open);
            }
        }
        // Round trip 1: record the jtis, claim the leaders' streams, read their connections
        // and lock their balance rows in key order.
        var ownJtis = new HashSet<string>();
        var connections = new Dictionary<Guid, Connection>();
        var available = new Dictionary<BalanceKey, Quantity>();
        var rows = new HashSet<BalanceKey>();
        IReadOnlySet<Guid> won = await session.ClaimNewStreamsAsync(
            [
                .. leaders.Select(o => new NewStream(
                    o.Command.Request.Id,
                    o.Command.StreamType,
                    OpenEventCount
                )),
            ],
            JtiStore.RecordInGroup(jtis.Values, ownJtis),
            GroupStatements.Concat(
                GroupReads.Connections(
                    leaders.Select(o => o.Command.Request.ConnectionId),
                    services.Store.Registry,
                    services.ConnectionCache,
                    connections
                ),
                GroupReads.LockBalances(
                    [],
                    [.. leaders.Select(o => o.Command.Request.BalanceKey)],
                    available,
                    rows
                )
            ),
            cancellationToken
        );
        // An open whose jti another request recorded is a replay. Its claim can only have been
        // won if that request wrote nothing under this id: then the group runs alone, open by
        // open, rather than start a stream for a replayed token.
        bool IsReplay(PendingOpen o) => o.Command.Jti is { } j && !ownJtis.Contains(j.Jti);
        if (leaders.Any(o => IsReplay(o) && won.Contains(o.Command.Request.Id)))
        {
            throw new InvalidOperationException("a replayed token won a claim");
        }
        replays.AddRange(leaders.Concat(followers).Where(IsReplay));
        List<PendingOpen> claimed = [.. leaders.Where(o => won.Contains(o.Command.Request.Id))];
        var existing = leaders
            .Concat(followers)
            .Where(o => !IsReplay(o) && !claimed.Contains(o))
            .ToList();
        PreparedGroup Prepared(IReadOnlyList<IReadOnlyList<object>> decisions) =>
            new(
                session,
                logger,
                services.GroupCache,
                opens,
                [.. jtis.Values.Where(j => ownJtis.Contains(j.Jti))],
                claimed,
                decisions,
                existing,
                replays,
                [.. rows]
            );
        if (claimed.Count == 0)
        {
            return Prepared([]);
        }
        // An open that does not lock funds (an allocation) decides on its connection alone; the
        // balance rows its decision credits are created if missing, and locked (round trip 2,
        // only then). Then the opens that lock funds decide in arrival order, each seeing what
        // the earlier ones in the group reserved.
        var decisions = new IReadOnlyList<object>[claimed.Count];
        for (int i = 0; i < claimed.Count; i++)
        {
            if (!claimed[i].Command.LocksFunds)
            {
                decisions[i] = Decide(
                    claimed[i].Command,
                    connections,
                    services.Currencies,
                    Quantity.Zero
                );
            }
        }
        HashSet<BalanceKey> missing =
        [
            .. decisions
                .OfType<IReadOnlyList<object>>()
                .SelectMany(Deltas)
                .Select(d => d.Key)
                .Where(k => !rows.Contains(k)),
        ];
        if (missing.Count > 0)
        {
            await session.RunAsync(
                GroupReads.LockBalances(missing, missing, available, rows),
                cancellationToken
            );
        }
        for (int i = 0; i < claimed.Count; i++)
        {
            OpenCommand command = claimed[i].Command;
            decisions[i] ??= Decide(
                command,
                connections,
                services.Currencies,
                available[command.Request.BalanceKey]
            );
            Spend(decisions[i], available);
            session.StartStream(command.Request.Id, decisions[i], command.Metadata);
        }
        services.GroupCache.Keep(available.Where(a => rows.Contains(a.Key)));
        return Prepared(decisions);
    }

    /// <summary>Applies a decision's balance effects, so the next open sees what it reserved.</summary>
    private static void Spend(
        IReadOnlyList<object> decision,
        Dictionary<BalanceKey, Quantity> available
    )
    {
        foreach (BalanceDelta delta in Deltas(decision))
        {
            // Quantity.From throws below zero: a decision that overspends is a bug, and the
            // group then fails as a whole rather than commit it.
            available[delta.Key] = Quantity.From(available[delta.Key].Value + delta.Available);
        }
    }

    private static IEnumerable<BalanceDelta> Deltas(IReadOnlyList<object> events) =>
        events.Select(BalanceEffects.Of).OfType<BalanceDelta>();

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

    /// <summary>What each open learns when its group fails, by how it failed.</summary>
    internal static void Fail(
        IReadOnlyList<PendingOpen> opens,
        Exception e,
        ILogger logger,
        CancellationToken cancellationToken
    )
    {
        if (e is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            // The service is stopping; whatever was not committed runs alone if it still can.
            Complete(opens, OpenOutcome.RetryAloneOutcome);
        }
        else if (DatabaseResilience.IsOutage(e))
        {
            // The database is unreachable: each open meets it as it would alone (a retry, then
            // 503), never a false answer. A commit whose outcome is unknown is found on retry:
            // its jti is its own (JtiStore), its claim fails and it is answered from the stream.
            foreach (PendingOpen open in opens)
            {
                open.Completion.TrySetException(e);
            }
        }
        else
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

    internal static void Complete(IEnumerable<PendingOpen> opens, OpenOutcome outcome)
    {
        foreach (PendingOpen open in opens)
        {
            open.Completion.TrySetResult(outcome);
        }
    }
}

/// <summary>
/// A group whose opens are decided, with its streams claimed and its balance rows locked, or
/// with both left to its commit (a group of one round trip): what remains is to insert its
/// events and view rows and commit, in one round trip, and answer.
/// </summary>
/// <remarks>
/// Each open is in one list: <paramref name="claimed"/> (with its events in
/// <paramref name="decisions"/>, same order), <paramref name="existing"/> (a committed stream
/// holds its id) or <paramref name="replays"/>. <paramref name="balances"/> are the rows it
/// locks, whose values it left in the <see cref="GroupCache"/> as it decided.
/// </remarks>
public sealed class PreparedGroup(
    GroupSession session,
    ILogger logger,
    GroupCache cache,
    IReadOnlyList<PendingOpen> opens,
    IReadOnlyList<PendingJti> ownJtis,
    IReadOnlyList<PendingOpen> claimed,
    IReadOnlyList<IReadOnlyList<object>> decisions,
    IReadOnlyList<PendingOpen> existing,
    IReadOnlyList<PendingOpen> replays,
    IReadOnlyList<BalanceKey> balances
)
{
    /// <summary>
    /// Inserts and commits, then answers every open; a failure answers as a failed group. False
    /// when what the group assumed was stale: nothing was written, and no open is answered yet.
    /// </summary>
    public async Task<bool> CommitAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Committed even when nothing was claimed: the jtis recorded must stay recorded.
            await session.CommitAsync(cancellationToken);
        }
        catch (Exception e)
        {
            await DisposeAsync();
            cache.Forget(balances);
            if (e is StaleAssumptionException)
            {
                return false;
            }
            OpenGroup.Fail(opens, e, logger, cancellationToken);
            return true;
        }
        await DisposeAsync();
        cache.KeepIds(claimed.Concat(existing).Select(o => o.Command.Request.Id));
        foreach (PendingJti jti in ownJtis)
        {
            jti.MarkRecorded();
        }
        for (int i = 0; i < claimed.Count; i++)
        {
            claimed[i].Completion.TrySetResult(new OpenOutcome.Committed(decisions[i]));
        }
        OpenGroup.Complete(existing, OpenOutcome.ExistsOutcome);
        OpenGroup.Complete(replays, OpenOutcome.ReplayedOutcome);
        return true;
    }

    /// <summary>Returns the connection; a failure here must not keep any open from its answer.</summary>
    private async Task DisposeAsync()
    {
        try
        {
            await session.DisposeAsync();
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            logger.LogWarning(e, "Returning a group's connection failed");
        }
    }
}
