using Ledger.Api.Hosting;
using Ledger.Api.Security;
using Ledger.Domain.Holds;

namespace Ledger.Api.Holds;

/// <summary>
/// The four BitGo routes of a hold kind, mapped once for both kinds: POST /{plural},
/// PUT /{singular}/{id}/clear and /release, GET /{singular}/{id}. The route parameter carries
/// the contract's name (deallocationId, allocationId), so the OpenAPI document shows it. The
/// writes record the token's jti in their own transaction (ADR 0012).
/// </summary>
public static class HoldRoutes
{
    private static readonly (Settlement, string)[] Settlements =
    [
        (Settlement.Clear, "clear"),
        (Settlement.Release, "release"),
    ];

    public static RouteGroupBuilder MapHoldRoutes<TAnswer>(
        this RouteGroupBuilder bitgo,
        HoldFlow<TAnswer> flow,
        string plural
    )
    {
        string item = $"/{flow.StreamType}/{{{flow.IdField}}}";
        bitgo
            .MapPost(
                $"/{plural}",
                (HttpContext http, LedgerServices services, CancellationToken ct) =>
                    HoldHandlers.OpenAsync(flow, http, services, ct)
            )
            .WithMetadata(JtiRecordedByWrite.Instance);
        foreach ((Settlement settlement, string verb) in Settlements)
        {
            bitgo
                .MapPut(
                    $"{item}/{verb}",
                    (HttpContext http, LedgerServices services, CancellationToken ct) =>
                        HoldHandlers.SettleAsync(
                            flow,
                            settlement,
                            Id(flow, http),
                            http,
                            services,
                            ct
                        )
                )
                .WithMetadata(JtiRecordedByWrite.Instance);
        }
        bitgo.MapGet(
            item,
            (HttpContext http, LedgerServices services, CancellationToken ct) =>
                HoldHandlers.GetAsync(flow, Id(flow, http), services, ct)
        );
        return bitgo;
    }

    private static string Id<TAnswer>(HoldFlow<TAnswer> flow, HttpContext http) =>
        http.Request.RouteValues[flow.IdField] as string ?? "";
}
