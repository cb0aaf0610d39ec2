using Ledger.Api.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ledger.Api.Queries;

/// <summary>
/// GET /api/v1/holds/stale?olderThanSeconds=N: allocations and deallocations still reserved
/// N seconds after they were opened, oldest first, for an operator to chase with BitGo.
/// TigerBeetle's pending transfers carry a timeout that voids them; this ledger keeps the
/// lesson (old holds must be seen) but not the timeout: a stale hold is only listed, never
/// released automatically, because only BitGo or an operator may end a hold (ADR 0006).
/// </summary>
public static class StaleHoldsEndpoint
{
    public const int OlderThanSecondsDefault = 3_600;

    public const int OlderThanSecondsMin = 1;

    /// <summary>Thirty days: a hold older than that is overdue whatever the threshold.</summary>
    public const int OlderThanSecondsMax = 30 * 24 * 3_600;

    public static async Task<Results<Ok<HoldPage>, ProblemHttpResult>> HandleAsync(
        [FromQuery(Name = "olderThanSeconds")] string? olderThanSeconds,
        [FromQuery(Name = "after")] string? after,
        [FromQuery(Name = "limit")] string? limit,
        LedgerDatabase database,
        CancellationToken cancellationToken
    )
    {
        var reader = new QueryReader();
        var filter = new HoldFilter(
            Kind: null,
            ClientId: null,
            ConnectionId: null,
            Status: "reserved",
            Currency: null,
            reader.Integer(
                "olderThanSeconds",
                olderThanSeconds,
                OlderThanSecondsDefault,
                OlderThanSecondsMin,
                OlderThanSecondsMax
            ),
            reader.Uuid("after", after),
            reader.PageSize(limit)
        );
        if (reader.Error is not null)
        {
            return Problems.Invalid(reader.Error);
        }
        HoldPage? page = await HoldPageQuery.ReadAsync(database, filter, cancellationToken);
        return page is null
            ? Problems.Invalid($"after: no hold {filter.After}; pass the previous page's next")
            : TypedResults.Ok(page);
    }
}
