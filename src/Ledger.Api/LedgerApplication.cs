using Ledger.Api.Allocations;
using Ledger.Api.Auditors;
using Ledger.Api.Balances;
using Ledger.Api.Connections;
using Ledger.Api.Deallocations;
using Ledger.Api.Holds;
using Ledger.Api.Hosting;
using Ledger.Api.Queries;
using Ledger.Api.Security;
using Ledger.BitGoAuth;
using Ledger.Domain;
using Ledger.EventStore;

namespace Ledger.Api;

public static class LedgerApplication
{
    /// <summary>
    /// The ledger's whole host on a builder: services, request limits and the pipeline. The
    /// service (Program.cs) and the simulator's in-process ledger both start from here, so the
    /// two cannot drift apart.
    /// </summary>
    public static WebApplication BuildLedger(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Limits.MaxRequestBodySize = Limits.BodyBytesMax
        );
        builder.Services.AddLedger(builder.Configuration);
        WebApplication app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapLedger();
        return app;
    }

    public static IServiceCollection AddLedger(
        this IServiceCollection services,
        IConfiguration configuration
    )
    {
        services.AddProblemDetails(options =>
            options.CustomizeProblemDetails = Problems.AddErrorMember
        );
        services.AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>();
        services.AddExceptionHandler<ExceptionMapping>();
        services.AddOpenApi(options =>
            options.AddSchemaTransformer(
                (schema, context, _) =>
                {
                    // A Quantity is written by a converter the generator cannot see: in BitGo's answers
                    // it is a JSON integer of exact digits, of any size (ADR 0005).
                    if (context.JsonTypeInfo.Type == typeof(Quantity))
                    {
                        schema.Type = Microsoft.OpenApi.JsonSchemaType.Integer;
                        schema.Properties?.Clear();
                        schema.Required?.Clear();
                        schema.Description = "base units, as exact integer digits of any size";
                    }
                    return Task.CompletedTask;
                }
            )
        );
        services.AddSingleton<LedgerDatabase>();
        services.AddHostedService(sp => sp.GetRequiredService<LedgerDatabase>());
        services.AddHostedService<Audit.CheckpointService>();
        services.AddSingleton(LedgerEvents.CreateRegistry());
        services.AddSingleton<IInlineProjection, BalanceProjection>();
        services.AddSingleton<IInlineProjection, HoldStatusProjection>();
        services.AddSingleton<IInlineProjection, ConnectionProjection>();
        services.AddSingleton(sp => new EventStore.EventStore(
            sp.GetRequiredService<LedgerDatabase>().DataSource,
            sp.GetRequiredService<EventTypeRegistry>(),
            sp.GetServices<IInlineProjection>()
        ));
        services.AddSingleton(_ => Currencies(configuration));
        services.AddSingleton<LedgerServices>();
        // Group commit of new holds (ADR 0010); after LedgerDatabase, so it starts once the
        // database is open and stops before it closes.
        services.AddSingleton<OpenBatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OpenBatcher>());
        services.AddSingleton<SettleBatcher>(); // ADR 0016
        services.AddHostedService(sp => sp.GetRequiredService<SettleBatcher>());
        services.AddSecurity();
        return services;
    }

    /// <summary>The route table: BitGo's calls, the partner's query API, health, OpenAPI.</summary>
    public static WebApplication MapLedger(this WebApplication app)
    {
        // Load the keys now, so a service with no BitGo key or a malformed API key fails at
        // startup, not at first call, and the dev keys exist once the service runs (README).
        app.Services.GetRequiredService<BitGoKeyRing>();
        app.Services.GetRequiredService<ApiKeyRing>();
        RouteGroupBuilder bitgo = app.MapGroup("/bitgo/v1")
            .WithTags("BitGo partner API")
            .AddEndpointFilter<BitGoSignatureFilter>();
        bitgo.MapPost("/connections", ActivateConnectionEndpoint.HandleAsync);
        bitgo.MapAllocations();
        bitgo.MapDeallocations();

        RouteGroupBuilder query = app.MapGroup("/api/v1")
            .WithTags("Query API")
            .AddEndpointFilter<ApiKeyFilter>();
        query
            .MapPost(
                "/connections/{connectionId}/deactivate",
                DeactivateConnectionEndpoint.HandleAsync
            )
            .RequireRole(ApiRole.Operator);
        query.MapBalanceQueries();
        query.MapHoldQueries();
        query.MapAuditorApi();

        app.MapHealth();
        app.MapOpenApi("/openapi/{documentName}.json");
        return app;
    }

    private static IServiceCollection AddSecurity(this IServiceCollection services)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp =>
            BitGoKeys.Load(
                sp.GetRequiredService<IConfiguration>(),
                sp.GetRequiredService<IHostEnvironment>(),
                sp.GetRequiredService<ILogger<BitGoKeyRing>>()
            )
        );
        services.AddSingleton(sp => new BitGoTokenVerifier(
            sp.GetRequiredService<BitGoKeyRing>(),
            sp.GetRequiredService<TimeProvider>()
        ));
        services.AddSingleton(sp =>
            ApiKeyRing.Load(
                sp.GetRequiredService<IConfiguration>(),
                sp.GetRequiredService<IHostEnvironment>(),
                sp.GetRequiredService<ILogger<ApiKeyRing>>()
            )
        );
        services.AddSingleton<AuthFailureLimiter>();
        services.AddSingleton<JtiStore>();
        services.AddHostedService<JtiPruner>();
        services.AddSingleton<BitGoSignatureFilter>();
        services.AddSingleton<ApiKeyFilter>();
        return services;
    }

    /// <summary>Ledger:Currencies lists the supported codes; the default covers BitGo's common coins.</summary>
    private static CurrencyCatalog Currencies(IConfiguration configuration)
    {
        string[]? codes = configuration.GetSection("Ledger:Currencies").Get<string[]>();
        return codes is { Length: > 0 }
            ? new CurrencyCatalog(codes.Select(Currency.Parse))
            : CurrencyCatalog.Default;
    }
}
