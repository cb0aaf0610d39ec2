using Ledger.Api.Hosting;

namespace Ledger.Api.Queries;

/// <summary>
/// The partner's view of allocations and deallocations, read from ledger.hold_status. Mapped
/// into the query group, so whatever protects /api/v1 protects these too.
/// </summary>
public static class HoldQueries
{
    public static RouteGroupBuilder MapHoldQueries(this RouteGroupBuilder query)
    {
        MapList(query, "/allocations", HoldKind.Allocation).WithName("ListAllocations");
        MapStatus(query, "/allocations/{id}", HoldKind.Allocation).WithName("GetAllocationStatus");
        MapList(query, "/deallocations", HoldKind.Deallocation).WithName("ListDeallocations");
        MapStatus(query, "/deallocations/{id}", HoldKind.Deallocation)
            .WithName("GetDeallocationStatus");
        query
            .MapGet("/holds/stale", StaleHoldsEndpoint.HandleAsync)
            .WithName("ListStaleHolds")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return query;
    }

    private static RouteHandlerBuilder MapList(
        RouteGroupBuilder query,
        string pattern,
        HoldKind kind
    ) =>
        query
            .MapGet(
                pattern,
                (
                    [AsParameters] HoldListQuery list,
                    LedgerDatabase database,
                    CancellationToken cancellationToken
                ) => ListHoldsEndpoint.HandleAsync(kind, list, database, cancellationToken)
            )
            .ProducesProblem(StatusCodes.Status400BadRequest);

    private static RouteHandlerBuilder MapStatus(
        RouteGroupBuilder query,
        string pattern,
        HoldKind kind
    ) =>
        query
            .MapGet(
                pattern,
                (string id, LedgerDatabase database, CancellationToken cancellationToken) =>
                    GetHoldStatusEndpoint.HandleAsync(kind, id, database, cancellationToken)
            )
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);
}
