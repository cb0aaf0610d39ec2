using Ledger.Api.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ledger.Api.Queries;

/// <summary>
/// The query string of a hold list. Every value is bound as text and checked by
/// <see cref="QueryReader"/>, so each malformed value is a 400 that names it.
/// </summary>
public sealed record HoldListQuery(
    [property: FromQuery(Name = "clientId")] string? ClientId,
    [property: FromQuery(Name = "connectionId")] string? ConnectionId,
    [property: FromQuery(Name = "status")] string? Status,
    [property: FromQuery(Name = "currency")] string? Currency,
    [property: FromQuery(Name = "after")] string? After,
    [property: FromQuery(Name = "limit")] string? Limit
);

/// <summary>
/// GET /api/v1/allocations and /api/v1/deallocations: holds of one kind, oldest first, in
/// pages of at most Limits.PageSizeMax. "after" is the previous page's "next".
/// </summary>
public static class ListHoldsEndpoint
{
    public static async Task<Results<Ok<HoldPage>, ProblemHttpResult>> HandleAsync(
        HoldKind kind,
        HoldListQuery query,
        LedgerDatabase database,
        CancellationToken cancellationToken
    )
    {
        var reader = new QueryReader();
        var filter = new HoldFilter(
            kind.Name,
            reader.Uuid("clientId", query.ClientId),
            reader.Uuid("connectionId", query.ConnectionId),
            reader.Status(query.Status),
            reader.Currency(query.Currency),
            OlderThanSeconds: null,
            reader.Uuid("after", query.After),
            reader.PageSize(query.Limit)
        );
        if (reader.Error is not null)
        {
            return Problems.Invalid(reader.Error);
        }
        HoldPage? page = await HoldPageQuery.ReadAsync(database, filter, cancellationToken);
        return page is null
            ? Problems.Invalid(
                $"after: no {kind.Name} {filter.After}; pass the previous page's next"
            )
            : TypedResults.Ok(page);
    }
}
