using Ledger.Api.Security;

namespace Ledger.Api.Auditors;

/// <summary>
/// The auditor's read API (issue 5): the log itself, balances as of any past moment, and
/// statements, all rebuilt from the events rather than read from the views they check. Each
/// route requires the auditor role in its own metadata, where ApiKeyFilter reads it, so the
/// route table, the filter and the OpenAPI document all say the same thing.
/// <para>
/// The historical balances have their own path rather than query parameters on the live
/// GET /clients/{clientId}/balances: a role that depended on the query string would need
/// role checks inside handlers, out of the filter's sight. The live handler refuses asOf and
/// atSeq with a 400 that names this path, so nobody is silently answered the present instead.
/// </para>
/// </summary>
public static class AuditorApi
{
    public const string BalancesAsOfPath = "/clients/{clientId}/balances/as-of";

    public static RouteGroupBuilder MapAuditorApi(this RouteGroupBuilder query)
    {
        query
            .MapGet("/streams/{streamId}/events", StreamEventsEndpoint.HandleAsync)
            .WithName("GetStreamEvents")
            .RequireRole(ApiRole.Auditor)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
        query
            .MapGet(BalancesAsOfPath, BalancesAsOfEndpoint.HandleAsync)
            .WithName("GetClientBalancesAsOf")
            .RequireRole(ApiRole.Auditor)
            .ProducesProblem(StatusCodes.Status400BadRequest);
        query
            .MapGet("/clients/{clientId}/statement", StatementEndpoint.HandleAsync)
            .WithName("GetClientStatement")
            .RequireRole(ApiRole.Auditor)
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return query;
    }
}
