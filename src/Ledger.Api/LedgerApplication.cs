using Ledger.Api.Allocations;
using Ledger.Api.Balances;
using Ledger.Api.Connections;
using Ledger.Api.Deallocations;
using Ledger.Api.Holds;
using Ledger.Api.Hosting;
using Ledger.Domain;
using Ledger.EventStore;

namespace Ledger.Api;

public static class LedgerApplication
{
    public static IServiceCollection AddLedger(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddProblemDetails();
        services.AddExceptionHandler<ExceptionMapping>();
        services.AddOpenApi();
        services.AddSingleton<LedgerDatabase>();
        services.AddHostedService(sp => sp.GetRequiredService<LedgerDatabase>());
        services.AddSingleton(LedgerEvents.CreateRegistry());
        services.AddSingleton<IInlineProjection, BalanceProjection>();
        services.AddSingleton<IInlineProjection, HoldStatusProjection>();
        services.AddSingleton<IInlineProjection, ConnectionProjection>();
        services.AddSingleton(sp => new EventStore.EventStore(
            sp.GetRequiredService<LedgerDatabase>().DataSource,
            sp.GetRequiredService<EventTypeRegistry>(),
            sp.GetServices<IInlineProjection>()));
        services.AddSingleton(_ => Currencies(configuration));
        services.AddSingleton<LedgerServices>();
        return services;
    }

    /// <summary>The route table: BitGo's calls, the partner's query API, health, OpenAPI.</summary>
    public static WebApplication MapLedger(this WebApplication app)
    {
        RouteGroupBuilder bitgo = app.MapGroup("/bitgo/v1").WithTags("BitGo partner API");
        bitgo.MapPost("/connections", ActivateConnectionEndpoint.HandleAsync);
        bitgo.MapAllocations();
        bitgo.MapDeallocations();

        RouteGroupBuilder query = app.MapGroup("/api/v1").WithTags("Query API");
        query.MapPost("/connections/{connectionId}/deactivate", DeactivateConnectionEndpoint.HandleAsync);
        query.MapBalanceQueries();

        app.MapHealth();
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }

    /// <summary>Ledger:Currencies lists the supported codes; the default covers BitGo's common coins.</summary>
    private static CurrencyCatalog Currencies(IConfiguration configuration)
    {
        string[]? codes = configuration.GetSection("Ledger:Currencies").Get<string[]>();
        return codes is { Length: > 0 } ? new CurrencyCatalog(codes.Select(Currency.Parse)) : CurrencyCatalog.Default;
    }
}
