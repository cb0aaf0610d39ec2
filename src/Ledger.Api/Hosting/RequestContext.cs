using Ledger.EventStore;

namespace Ledger.Api.Hosting;

/// <summary>Who is acting, and the request's correlation id: recorded with every event.</summary>
public static class RequestContext
{
    public const string CorrelationHeader = "X-Correlation-Id";

    /// <summary>The authentication step sets the actor here ("bitgo", "operator:alice").</summary>
    public const string ActorItemKey = "ledger.actor";

    public const string CausationItemKey = "ledger.causation";

    public static EventMetadata Metadata(HttpContext http)
    {
        string actor = http.Items[ActorItemKey] as string ?? "bitgo";
        string? header = http.Request.Headers[CorrelationHeader];
        // A caller's correlation id is kept only when short and plain; otherwise ours is used,
        // so nothing hostile lands in the audit trail.
        string correlation =
            header is { Length: > 0 and <= Limits.IdLengthMax }
            && header.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':')
                ? header
                : http.TraceIdentifier;
        return new EventMetadata(
            actor,
            correlation,
            http.Items[CausationItemKey] as string,
            http.TraceIdentifier
        );
    }
}

/// <summary>
/// Runs a load-decide-append attempt again when a racing writer won. The next attempt reads
/// the winner's events, so a racing duplicate answers as a retry would, and a clear racing a
/// release meets the state the other left. Exhausted attempts rethrow; the host answers 409.
/// </summary>
public static class WriteRetry
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> attempt)
    {
        for (int attemptNumber = 1; ; attemptNumber++)
        {
            try
            {
                return await DatabaseResilience.Pipeline.ExecuteAsync(
                    async _ => await attempt(),
                    CancellationToken.None
                );
            }
            catch (ConcurrencyException) when (attemptNumber < Limits.WriteAttemptsMax)
            {
                // Lost a race: decide again on what the winner committed.
            }
        }
    }
}
