using Ledger.EventStore;
using Microsoft.AspNetCore.Diagnostics;

namespace Ledger.Api.Hosting;

/// <summary>
/// The last line: a lost race that retries could not resolve is 409, never 500; a request
/// body the server itself refused keeps its status; anything else is a 500 that names no
/// internals. Handlers return every expected outcome themselves.
/// </summary>
public sealed class ExceptionMapping(ILogger<ExceptionMapping> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(
        HttpContext http,
        Exception exception,
        CancellationToken cancellationToken
    )
    {
        var (status, title, error) = exception switch
        {
            ConcurrencyException => (
                StatusCodes.Status409Conflict,
                "Conflict",
                "concurrency: a racing request changed this record; retry the request"
            ),
            BadHttpRequestException bad => (
                bad.StatusCode,
                "Bad request",
                "request: " + bad.Message
            ),
            _ when DatabaseResilience.IsUnavailable(exception) => (
                StatusCodes.Status503ServiceUnavailable,
                "Service unavailable",
                "database: unavailable; the request was not applied unless a retry says so"
            ),
            _ => (
                StatusCodes.Status500InternalServerError,
                "Internal error",
                "internal: unexpected server error"
            ),
        };
        if (status >= StatusCodes.Status500InternalServerError)
        {
            logger.LogError(exception, "Unhandled error on {Path}", http.Request.Path);
        }
        http.Response.StatusCode = status;
        Microsoft.AspNetCore.Mvc.ProblemDetails details = Problems.Details(status, title, error);
        // BitGo's word for "the outcome is unknown, send the same request again" (seed 000).
        details.Extensions["retriable"] =
            status is StatusCodes.Status503ServiceUnavailable or StatusCodes.Status409Conflict;
        await http.Response.WriteAsJsonAsync(
            details,
            (System.Text.Json.JsonSerializerOptions?)null,
            "application/problem+json",
            cancellationToken
        );
        return true;
    }
}
