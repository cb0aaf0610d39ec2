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

    /// <summary>
    /// Readiness answers within this, whatever PostgreSQL does: an orchestrator gives a probe a
    /// second or two. On a stalled server a command takes its timeout (5 s) plus Npgsql's cancel
    /// request (up to twice the connect timeout, 6 s), so the check gets this long and the answer
    /// is 503 when it runs over (found by the torture harness: 11 s to say "not ready").
    /// </summary>
    public const int ReadyTimeoutMilliseconds = 2_000;

    private static async Task<Results<Ok<HealthAnswer>, ProblemHttpResult>> ReadyAsync(
        LedgerDatabase database,
        CancellationToken cancellationToken
    )
    {
        Task<bool> check = IsCurrentAsync(database, cancellationToken);
        Task deadline = Task.Delay(ReadyTimeoutMilliseconds, cancellationToken);
        if (await Task.WhenAny(check, deadline) != check)
        {
            // The check finishes on its own, within the command timeout; its failure is expected.
            _ = check.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
            return Problems.Create(
                StatusCodes.Status503ServiceUnavailable,
                "Not ready",
                $"database: no answer within {ReadyTimeoutMilliseconds} ms"
            );
        }
        try
        {
            return await check
                ? TypedResults.Ok(new HealthAnswer("ready"))
                : Problems.Create(
                    StatusCodes.Status503ServiceUnavailable,
                    "Not ready",
                    "schema: not current"
                );
        }
        catch (Exception e)
            when (e is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return Problems.Create(
                StatusCodes.Status503ServiceUnavailable,
                "Not ready",
                "database: unreachable"
            );
        }
    }

    private static async Task<bool> IsCurrentAsync(
        LedgerDatabase database,
        CancellationToken cancellationToken
    ) =>
        await SchemaApplier.IsCurrentAsync(
            database.DataSource,
            LedgerDatabase.Scripts,
            cancellationToken
        );
}
