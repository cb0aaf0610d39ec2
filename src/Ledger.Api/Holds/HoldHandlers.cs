using Ledger.Api.Balances;
using Ledger.Api.Hosting;
using Ledger.Api.Security;
using Ledger.Domain;
using Ledger.Domain.Balances;
using Ledger.Domain.Connections;
using Ledger.Domain.Holds;
using Ledger.EventStore;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Api.Holds;

/// <summary>
/// BitGo's calls on allocations and deallocations, after Wolverine.Http's shape: load the
/// streams, decide with a pure function, append the events. Every answer is given after the
/// commit, or after reading what an earlier commit stored.
/// </summary>
public static class HoldHandlers
{
    public static async Task<Results<Ok<TAnswer>, ProblemHttpResult>> OpenAsync<TAnswer>(
        HoldFlow<TAnswer> flow,
        HttpContext http,
        LedgerServices services,
        CancellationToken cancellationToken
    )
    {
        var (root, _, problem) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var fields = new FieldReader(root);
        var request = new HoldRequest(
            fields.Uuid(flow.IdField),
            fields.Uuid("clientId"),
            fields.Uuid("connectionId"),
            fields.Text("partnersConnectionId", Limits.IdLengthMax)!,
            fields.Text("partnerClientId", Limits.IdLengthMax)!,
            fields.Amount("amount")!
        );
        if (fields.Error is not null)
        {
            return Problems.Invalid(fields.Error);
        }
        var write = new HoldWrite(RequestContext.Metadata(http), PendingJti.Of(http));
        OpenBatcher? batcher = http.RequestServices.GetService<OpenBatcher>();
        return await WriteRetry.RunAsync(() =>
            batcher is { Enabled: true }
                ? OpenGroupedAsync(flow, request, write, services, batcher, cancellationToken)
                : OpenOnceAsync(flow, request, write, services, cancellationToken)
        );
    }

    public static async Task<Results<Ok<TAnswer>, ProblemHttpResult>> SettleAsync<TAnswer>(
        HoldFlow<TAnswer> flow,
        Settlement settlement,
        string id,
        HttpContext http,
        LedgerServices services,
        CancellationToken cancellationToken
    )
    {
        if (!Ids.TryParse(id, out Guid holdId))
        {
            return Problems.Invalid($"{flow.IdField}: " + Ids.UuidRule);
        }
        var write = new HoldWrite(RequestContext.Metadata(http), PendingJti.Of(http));
        SettleBatcher? batcher = http.RequestServices.GetService<SettleBatcher>();
        return await WriteRetry.RunAsync(() =>
            SettleOnceAsync(
                flow,
                settlement,
                holdId,
                write,
                services,
                batcher is { Enabled: true } ? batcher : null,
                cancellationToken
            )
        );
    }

    public static async Task<Results<Ok<TAnswer>, ProblemHttpResult>> GetAsync<TAnswer>(
        HoldFlow<TAnswer> flow,
        string id,
        LedgerServices services,
        CancellationToken cancellationToken
    )
    {
        if (!Ids.TryParse(id, out Guid holdId))
        {
            return Problems.Invalid($"{flow.IdField}: " + Ids.UuidRule);
        }
        EventStream? stream = await services.Store.FetchStreamAsync(
            holdId,
            cancellationToken: cancellationToken
        );
        if (stream is null || stream.Type != flow.StreamType)
        {
            return Problems.NotFound($"{flow.IdField}: no {flow.StreamType} {holdId}");
        }
        var times = new HoldTimes(stream.Events[0].RecordedAt, stream.Events[^1].RecordedAt);
        return TypedResults.Ok(flow.Answer(FoldHold(stream), times));
    }

    private static async Task<Results<Ok<TAnswer>, ProblemHttpResult>> OpenOnceAsync<TAnswer>(
        HoldFlow<TAnswer> flow,
        HoldRequest request,
        HoldWrite write,
        LedgerServices services,
        CancellationToken cancellationToken
    )
    {
        EventStream? existing = await services.Store.FetchStreamAsync(
            request.Id,
            cancellationToken: cancellationToken
        );
        if (existing is not null)
        {
            return Repeat(flow, existing, request);
        }
        Connection? connection = await LoadConnectionAsync(
            services.Store,
            request.ConnectionId,
            cancellationToken
        );
        await using EventSession session = await services.Store.BeginSessionAsync(
            write.Metadata,
            cancellationToken
        );
        await write.RecordJtiAsync(session, cancellationToken);
        // The balance row stays locked until commit, so no other reservation spends the same
        // funds between this read and the append (the lost update Marten's users meet).
        Quantity available = flow.LocksFunds
            ? await BalanceProjection.LockAvailableAsync(
                session,
                request.BalanceKey,
                cancellationToken
            )
            : Quantity.Zero;
        IReadOnlyList<object> events = flow.Request(
            request,
            connection,
            services.Currencies,
            available,
            Guid.CreateVersion7().ToString()
        );
        session.StartStream(request.Id, flow.StreamType, events);
        await write.CommitAsync(session, cancellationToken);
        services.GroupCache.Shift(events);
        return TypedResults.Ok(flow.Answer(Hold.Fold(events)!, null));
    }

    /// <summary>
    /// Group commit (ADR 0010): the open joins the next group's transaction. A duplicate is
    /// answered from the stored stream as on the single path; an open whose group failed as a
    /// whole runs alone on the single path.
    /// </summary>
    private static async Task<Results<Ok<TAnswer>, ProblemHttpResult>> OpenGroupedAsync<TAnswer>(
        HoldFlow<TAnswer> flow,
        HoldRequest request,
        HoldWrite write,
        LedgerServices services,
        OpenBatcher batcher,
        CancellationToken cancellationToken
    )
    {
        var command = new OpenCommand(
            flow.StreamType,
            flow.FundsStandFor,
            flow.Request,
            request,
            write.Metadata,
            write.Jti
        );
        switch (await batcher.SubmitAsync(command, cancellationToken))
        {
            case OpenOutcome.Committed committed:
                return TypedResults.Ok(flow.Answer(Hold.Fold(committed.Events)!, null));
            case OpenOutcome.Exists:
                // A committed stream holds the id, so it is there to read; were it not, the
                // retry decides again.
                EventStream existing =
                    await services.Store.FetchStreamAsync(
                        request.Id,
                        cancellationToken: cancellationToken
                    )
                    ?? throw new ConcurrencyException(
                        request.Id,
                        $"stream {request.Id} vanished after its claim"
                    );
                return Repeat(flow, existing, request);
            case OpenOutcome.Replayed:
                throw new JtiReplayedException(write.Jti?.Jti ?? "");
            default:
                return await OpenOnceAsync(flow, request, write, services, cancellationToken);
        }
    }

    /// <summary>The same id again: the original answer if the body is the same, else 409.</summary>
    private static Results<Ok<TAnswer>, ProblemHttpResult> Repeat<TAnswer>(
        HoldFlow<TAnswer> flow,
        EventStream existing,
        HoldRequest request
    )
    {
        if (existing.Type != flow.StreamType)
        {
            return Problems.Conflict(
                $"{flow.IdField}: {request.Id} is already used by a {existing.Type}; ids share one space"
            );
        }
        Hold hold = FoldHold(existing);
        string? field = HoldRules.FirstDifference(hold.Request, request);
        return field is null
            ? TypedResults.Ok(flow.Answer(hold, null))
            : Problems.Conflict(
                $"{field}: differs from the {flow.StreamType} already recorded under this id"
            );
    }

    private static async Task<Results<Ok<TAnswer>, ProblemHttpResult>> SettleOnceAsync<TAnswer>(
        HoldFlow<TAnswer> flow,
        Settlement settlement,
        Guid holdId,
        HoldWrite write,
        LedgerServices services,
        SettleBatcher? batcher,
        CancellationToken cancellationToken
    )
    {
        EventStream? stream = await services.Store.FetchStreamAsync(
            holdId,
            cancellationToken: cancellationToken
        );
        if (stream is null || stream.Type != flow.StreamType)
        {
            return Problems.NotFound($"{flow.IdField}: no {flow.StreamType} {holdId}");
        }
        Hold hold = FoldHold(stream);
        SettleDecision decision =
            settlement == Settlement.Clear ? flow.Clear(hold) : flow.Release(hold);
        switch (decision)
        {
            case SettleDecision.Append append:
                // Grouped with other settlements when it can be (ADR 0016); alone when the
                // group did not commit, so that this settlement meets its own answer.
                var command = new SettleCommand(
                    holdId,
                    flow.StreamType,
                    hold.Version,
                    append.Event,
                    hold.Request.BalanceKey,
                    write.Metadata,
                    write.Jti
                );
                if (
                    batcher is not null
                    && await batcher.SubmitAsync(command, cancellationToken)
                        == SettleOutcome.Committed
                )
                {
                    write.Jti?.MarkRecorded();
                }
                else
                {
                    await using EventSession session = await services.Store.BeginSessionAsync(
                        write.Metadata,
                        cancellationToken
                    );
                    session.Append(holdId, flow.StreamType, hold.Version, [append.Event]);
                    await write.CommitWithJtiAsync(session, cancellationToken);
                }
                services.GroupCache.Shift([append.Event]);
                return TypedResults.Ok(flow.Answer(Hold.Next(hold, append.Event), null));
            case SettleDecision.AlreadyDone:
                return TypedResults.Ok(flow.Answer(hold, null));
            case SettleDecision.Conflict conflict:
                return Problems.Conflict(
                    $"{flow.IdField}: {flow.StreamType} {holdId} {conflict.Detail}"
                );
            default:
                throw new InvariantViolationException($"unknown settle decision {decision}");
        }
    }

    private static Hold FoldHold(EventStream stream) =>
        Hold.Fold(stream.Data)
        ?? throw new InvariantViolationException($"stream {stream.Id} is empty");

    private static async Task<Connection?> LoadConnectionAsync(
        Ledger.EventStore.EventStore store,
        Guid connectionId,
        CancellationToken cancellationToken
    )
    {
        EventStream? stream = await store.FetchStreamAsync(
            connectionId,
            cancellationToken: cancellationToken
        );
        return stream?.Type == Connections.ConnectionFlow.StreamType
            ? Connection.Fold(stream.Data)
            : null;
    }
}

/// <summary>
/// What a hold's write carries besides its events: the request's metadata, and the token's jti
/// when the route lets the write record it in the same transaction (ADR 0012).
/// </summary>
public sealed record HoldWrite(EventMetadata Metadata, PendingJti? Jti)
{
    /// <summary>
    /// Records the jti before the write reads and locks its rows: an open takes its locks in the
    /// order a group does (jti, then balance row).
    /// </summary>
    public Task RecordJtiAsync(EventSession session, CancellationToken cancellationToken) =>
        Jti is null
            ? Task.CompletedTask
            : JtiStore.RecordInAsync(
                session.Connection,
                session.Transaction,
                Jti,
                cancellationToken
            );

    /// <summary>Commits a write whose jti <see cref="RecordJtiAsync"/> recorded.</summary>
    public async Task CommitAsync(EventSession session, CancellationToken cancellationToken)
    {
        await session.CommitAsync(cancellationToken);
        Jti?.MarkRecorded();
    }

    /// <summary>
    /// Records the jti first in the commit's own round trip (a write that locks nothing before
    /// it): a replayed token fails the commit before the stream's claim, so it is refused
    /// whatever became of the stream, and nothing is written.
    /// </summary>
    public async Task CommitWithJtiAsync(EventSession session, CancellationToken cancellationToken)
    {
        if (Jti is not null)
        {
            session.Assume(JtiStore.RecordCommand([Jti]), 1, "the token's jti is unused");
        }
        try
        {
            await session.CommitAsync(cancellationToken);
        }
        catch (StaleAssumptionException) when (Jti is not null)
        {
            throw new JtiReplayedException(Jti.Jti);
        }
        Jti?.MarkRecorded();
    }
}
