using Ledger.Api.Hosting;
using Ledger.Domain.Connections;
using Ledger.EventStore;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Api.Connections;

/// <summary>The connection as the query API shows it.</summary>
public sealed record ConnectionView(
    Guid ConnectionId,
    Guid ClientId,
    string PartnersClientId,
    string PartnersConnectionId,
    bool Active
);

/// <summary>
/// POST /api/v1/connections/{connectionId}/deactivate (operator): new allocations and
/// deallocations on the connection are refused with "inactive connection". Body: {reason}.
/// </summary>
public static class DeactivateConnectionEndpoint
{
    public static async Task<Results<Ok<ConnectionView>, ProblemHttpResult>> HandleAsync(
        string connectionId,
        HttpContext http,
        LedgerServices services,
        CancellationToken cancellationToken
    )
    {
        if (!Ids.TryParse(connectionId, out Guid id))
        {
            return Problems.Invalid("connectionId: " + Ids.UuidRule);
        }
        var (root, _, problem) = await JsonBody.ReadAsync(http.Request, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }
        var fields = new FieldReader(root);
        string? reason = fields.Text("reason", Limits.ReasonLengthMax);
        if (fields.Error is not null)
        {
            return Problems.Invalid(fields.Error);
        }
        EventMetadata metadata = RequestContext.Metadata(http);
        return await WriteRetry.RunAsync(async () =>
        {
            EventStream? stream = await services.Store.FetchStreamAsync(
                id,
                cancellationToken: cancellationToken
            );
            if (stream is null || stream.Type != ConnectionFlow.StreamType)
            {
                return (Results<Ok<ConnectionView>, ProblemHttpResult>)
                    Problems.NotFound($"connectionId: no connection {id}");
            }
            Connection connection = Connection.Fold(stream.Data)!;
            if (ConnectionDecisions.Deactivate(connection, reason!) is { } deactivated)
            {
                await using EventSession session = await services.Store.BeginSessionAsync(
                    metadata,
                    cancellationToken
                );
                session.Append(id, ConnectionFlow.StreamType, connection.Version, [deactivated]);
                await session.CommitAsync(cancellationToken);
                connection = connection.Apply(deactivated);
            }
            return TypedResults.Ok(
                new ConnectionView(
                    connection.Id,
                    connection.ClientId,
                    connection.PartnersClientId,
                    connection.PartnersConnectionId,
                    connection.IsActive
                )
            );
        });
    }
}
