using Ledger.Api.Hosting;
using Ledger.Domain.Connections;
using Ledger.EventStore;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Api.Connections;

/// <summary>BitGo's answer to POST /bitgo/v1/connections.</summary>
public sealed record ConnectionAnswer(
    Guid ClientId,
    Guid ConnectionId,
    string PartnersClientId,
    string PartnersConnectionId
)
{
    public static ConnectionAnswer From(Connection c) =>
        new(c.ClientId, c.Id, c.PartnersClientId, c.PartnersConnectionId);
}

/// <summary>
/// POST /bitgo/v1/connections: activates a client connection. Idempotent on connectionId: a
/// retry returns the existing connection; the same id with another body is 409.
/// </summary>
public static class ActivateConnectionEndpoint
{
    public static async Task<Results<Ok<ConnectionAnswer>, ProblemHttpResult>> HandleAsync(
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
        var command = new ActivateConnection(
            fields.Uuid("connectionId"),
            fields.Uuid("clientId"),
            fields.Text("clientWalletId", Limits.IdLengthMax)!,
            fields.Uuid("partnerId"),
            fields.Text("connectionToken", Limits.ConnectionTokenLengthMax)!
        );
        if (fields.Error is not null)
        {
            return Problems.Invalid(fields.Error);
        }
        EventMetadata metadata = RequestContext.Metadata(http);
        return await WriteRetry.RunAsync(() =>
            ActivateOnceAsync(command, metadata, services, cancellationToken)
        );
    }

    private static async Task<Results<Ok<ConnectionAnswer>, ProblemHttpResult>> ActivateOnceAsync(
        ActivateConnection command,
        EventMetadata metadata,
        LedgerServices services,
        CancellationToken cancellationToken
    )
    {
        EventStream? stream = await services.Store.FetchStreamAsync(
            command.ConnectionId,
            cancellationToken: cancellationToken
        );
        if (stream is not null && stream.Type != ConnectionFlow.StreamType)
        {
            return Problems.Conflict(
                $"connectionId: {command.ConnectionId} is already used by a {stream.Type}"
            );
        }
        Connection? existing = stream is null ? null : Connection.Fold(stream.Data);
        switch (ConnectionDecisions.Activate(existing, command, Guid.CreateVersion7().ToString()))
        {
            case ActivationDecision.Activate activate:
                await using (
                    EventSession session = await services.Store.BeginSessionAsync(
                        metadata,
                        cancellationToken
                    )
                )
                {
                    session.StartStream(
                        command.ConnectionId,
                        ConnectionFlow.StreamType,
                        [activate.Event]
                    );
                    await session.CommitAsync(cancellationToken);
                }
                return TypedResults.Ok(ConnectionAnswer.From(Connection.Create(activate.Event)));
            case ActivationDecision.AlreadyActive already:
                return TypedResults.Ok(ConnectionAnswer.From(already.Connection));
            case ActivationDecision.Conflict conflict:
                return Problems.Conflict(
                    $"{conflict.Field}: differs from the connection already recorded"
                );
            default:
                throw new InvalidOperationException("unknown activation decision");
        }
    }
}
