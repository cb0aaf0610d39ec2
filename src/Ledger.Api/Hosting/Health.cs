using Ledger.EventStore;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Ledger.Api.Hosting;

/// <summary>Liveness says the process answers; readiness that PostgreSQL answers with the current schema.</summary>
public static class Health
{
    public sealed record HealthAnswer(string Status);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => TypedResults.Ok(new HealthAnswer("live")));
        app.MapGet("/health/ready", ReadyAsync);
        return app;
    }

    private static async Task<Results<Ok<HealthAnswer>, ProblemHttpResult>> ReadyAsync(
        LedgerDatabase database, CancellationToken cancellationToken)
    {
        try
        {
            return await SchemaApplier.IsCurrentAsync(database.DataSource, LedgerDatabase.Scripts, cancellationToken)
                ? TypedResults.Ok(new HealthAnswer("ready"))
                : Problems.Create(StatusCodes.Status503ServiceUnavailable, "Not ready", "schema: not current");
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return Problems.Create(StatusCodes.Status503ServiceUnavailable, "Not ready", "database: unreachable");
        }
    }
}
