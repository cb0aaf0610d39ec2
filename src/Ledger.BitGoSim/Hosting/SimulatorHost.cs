using Ledger.BitGoAuth;
using Ledger.BitGoSim.Balances;
using Ledger.BitGoSim.Connections;
using Ledger.BitGoSim.Partner;
using Ledger.BitGoSim.Transfers;
using Microsoft.AspNetCore.Diagnostics;

namespace Ledger.BitGoSim.Hosting;

/// <summary>
/// Builds the simulator's web host. The executable, the demo and the end-to-end tests all
/// build it here, so they run the same simulator.
/// </summary>
public static class SimulatorHost
{
    public const string DefaultUrl = "http://127.0.0.1:5090";

    /// <summary>Kestrel picks a free port; read it back with <see cref="BaseUrl"/>.</summary>
    public const string AnyLoopbackPortUrl = "http://127.0.0.1:0";

    public static WebApplication Build(
        string[] args,
        IEnumerable<KeyValuePair<string, string?>>? settings = null
    )
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(
            new WebApplicationOptions { Args = args }
        );
        // The framework's per-request logs drown the simulator's own; configuration may
        // still turn them back on (Logging:LogLevel:Microsoft.AspNetCore).
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Limits.MaxRequestBodySize = SimLimits.BodyBytesMax
        );
        builder.Services.AddSimulator(builder.Configuration);
        WebApplication app = builder.Build();
        app.UseExceptionHandler(errors => errors.Run(WriteUnhandledAsync));
        app.MapSimulator();
        return app;
    }

    /// <summary>Starts a simulator on a free loopback port, for the demo and the tests.</summary>
    public static async Task<WebApplication> StartAsync(
        IEnumerable<KeyValuePair<string, string?>> settings,
        CancellationToken cancellationToken = default
    )
    {
        WebApplication app = Build([], [.. settings, new("urls", AnyLoopbackPortUrl)]);
        await app.StartAsync(cancellationToken);
        return app;
    }

    /// <summary>The address a started host listens on (the real port when 0 was asked).</summary>
    public static Uri BaseUrl(this WebApplication app) => new(app.Urls.First());

    /// <summary>
    /// Stop before dispose: a host disposed unstopped cancels its background services as if
    /// they had failed, and logs them as errors.
    /// </summary>
    public static async Task StopAndDisposeAsync(WebApplication? app)
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public static IServiceCollection AddSimulator(
        this IServiceCollection services,
        IConfiguration configuration
    )
    {
        SimOptions options = SimOptions.From(configuration);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new FaultSwitch(options.Faults));
        services.AddSingleton(new PartnerTarget(options.PartnerBaseUrl));
        // Load the key now, so a simulator without a usable key fails at startup; registered
        // through a factory, so the container disposes it.
        BitGoTokenMinter minter = BitGoTokenMinter.FromPem(
            options.PrivateKeyPem,
            TimeProvider.System
        );
        services.AddSingleton(_ => minter);
        services.AddSingleton(sp => new PartnerClient(
            PartnerClient.CreateHttpClient(),
            sp.GetRequiredService<BitGoTokenMinter>(),
            sp.GetRequiredService<PartnerTarget>(),
            sp.GetRequiredService<FaultSwitch>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<PartnerClient>>()
        ));
        services.AddSingleton<SimStore>();
        services.AddSingleton<TransferFlow>();
        services.AddSingleton<TransferEndpoint>();
        services.AddSingleton<ConnectionEndpoint>();
        services.AddSingleton<ClientAuthFilter>();
        return services;
    }

    /// <summary>The route table: every client-facing path is under one enterprise.</summary>
    public static WebApplication MapSimulator(this WebApplication app)
    {
        RouteGroupBuilder enterprise = app.MapGroup("/api/network/v1/enterprises/{enterpriseId}")
            .AddEndpointFilter<ClientAuthFilter>();
        ConnectionEndpoint.Map(enterprise);
        enterprise.MapTransfers();
        enterprise.MapBalances();
        app.MapGet("/health/live", () => Results.Json(new { status = "live" }));
        return app;
    }

    /// <summary>Kestrel's own refusals keep their status (413 above the body limit).</summary>
    private static async Task WriteUnhandledAsync(HttpContext http)
    {
        Exception? error = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        (int status, string text) = error is BadHttpRequestException bad
            ? (
                bad.StatusCode,
                bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? $"body: larger than {SimLimits.BodyBytesMax} bytes"
                    : "request: malformed"
            )
            : (StatusCodes.Status500InternalServerError, "simulator: internal error");
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(new { error = text }, SimJson.Options);
    }
}
