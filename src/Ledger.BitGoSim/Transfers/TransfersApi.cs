using Ledger.BitGoSim.Connections;
using Ledger.BitGoSim.Hosting;
using Ledger.Domain;

namespace Ledger.BitGoSim.Transfers;

/// <summary>
/// Seed 000's client-facing endpoint and its allocation twin:
/// POST /api/network/v1/enterprises/{enterpriseId}/clients/connections/{connectionId}/deallocations
/// (and .../allocations). 200 cleared; 422 released with the reason; 500 reserved and
/// retriable when the partner's answer is missing; 400 malformed; 404 unknown connection;
/// 409 a clientExternalId reused with another body. 401 is the group's filter.
/// </summary>
public static class TransfersApi
{
    public const string ClientActor = "client->BitGo";

    public const string AnswerActor = "BitGo->client";

    public static RouteGroupBuilder MapTransfers(this RouteGroupBuilder enterprise)
    {
        Map(enterprise, TransferKind.Deallocation);
        Map(enterprise, TransferKind.Allocation);
        return enterprise;
    }

    private static void Map(RouteGroupBuilder enterprise, TransferKind kind)
    {
        enterprise.MapPost(
            $"/clients/connections/{{connectionId}}/{kind.Name}s",
            (string enterpriseId, string connectionId, HttpContext http, TransferEndpoint e) =>
                e.HandleAsync(kind, enterpriseId, connectionId, http)
        );
    }
}

public sealed class TransferEndpoint(
    SimStore store,
    TransferFlow flow,
    TimeProvider time,
    IHostApplicationLifetime lifetime
)
{
    public async Task<IResult> HandleAsync(
        TransferKind kind,
        string enterpriseId,
        string connectionId,
        HttpContext http
    )
    {
        if (!Guid.TryParseExact(connectionId, "D", out Guid connectionGuid))
        {
            return SimJson.Error(
                StatusCodes.Status400BadRequest,
                "connectionId: must be a UUID (8-4-4-4-12 hex digits)"
            );
        }
        var (root, bodyError) = await SimJson.ReadObjectAsync(http.Request, http.RequestAborted);
        var (request, error) = bodyError is null
            ? TransferRequest.Read(root, connectionGuid)
            : (null, bodyError);
        if (request is null)
        {
            return SimJson.Error(StatusCodes.Status400BadRequest, error!);
        }
        ConnectionRecord? connection = store.ActiveConnection(enterpriseId, connectionGuid);
        if (connection is null)
        {
            return SimJson.Error(
                StatusCodes.Status404NotFound,
                $"connectionId: no active connection {connectionGuid} for this enterprise"
            );
        }
        return store.Admit(enterpriseId, kind, connection, request) switch
        {
            Admission.New admitted => await RunAsync(admitted.Record, "requests"),
            Admission.Repeat repeat => await RunAsync(
                repeat.Record,
                "retries (same clientExternalId and body)"
            ),
            Admission.Conflict conflict => SimJson.Error(
                StatusCodes.Status409Conflict,
                $"{conflict.Field}: differs from the {kind} already made with clientExternalId "
                    + $"'{request.ClientExternalId}'"
            ),
            Admission.NonceUsed => SimJson.Error(
                StatusCodes.Status400BadRequest,
                "nonce: already used by another request; a nonce is single-use"
            ),
            Admission.Full => SimJson.Error(
                StatusCodes.Status503ServiceUnavailable,
                $"simulator: {SimLimits.TransfersMax} transfers are in memory; restart it"
            ),
            var other => throw new InvalidOperationException($"unknown admission {other}"),
        };
    }

    /// <summary>
    /// Carries the transfer as far as it goes. The flow runs on the host's lifetime, not the
    /// request's: a client that hangs up must not leave a hold half made at the partner.
    /// </summary>
    private async Task<IResult> RunAsync(TransferRecord record, string verb)
    {
        Amount amount = record.Request.Amount;
        record.Note(
            time.GetUtcNow(),
            TransfersApi.ClientActor,
            $"{verb} a {record.Kind} of {amount.Quantity} {amount.Currency}"
        );
        TransferState state = await flow.AdvanceAsync(record, lifetime.ApplicationStopping);
        TransferView view = TransferView.Of(record, state);
        (int status, string? error) = state.Status switch
        {
            TransferStatus.Cleared => (StatusCodes.Status200OK, (string?)null),
            TransferStatus.Released => (
                StatusCodes.Status422UnprocessableEntity,
                $"{record.Kind} released: {state.Reason}"
            ),
            _ => (
                StatusCodes.Status500InternalServerError,
                $"{record.Kind} left reserved, retry with the same clientExternalId: "
                    + state.LastError
            ),
        };
        string why =
            state.Status == TransferStatus.Released ? $": {state.Reason}"
            : state.LastError is { } lastError ? $": {lastError}"
            : "";
        record.Note(
            time.GetUtcNow(),
            TransfersApi.AnswerActor,
            $"{status} {view.Status}{(view.Retriable ? ", retriable" : "")}{why}"
        );
        return SimJson.Wrapped(status, record.Kind.Name, view, error);
    }
}
