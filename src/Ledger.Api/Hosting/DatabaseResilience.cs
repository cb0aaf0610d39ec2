using Npgsql;
using Polly;
using Polly.Retry;

namespace Ledger.Api.Hosting;

/// <summary>
/// How the service behaves when PostgreSQL is slow or gone: fail fast and say "retry" (503,
/// retriable), never hang and never answer 2xx before a commit. A write attempt is retried a
/// bounded number of times on a transient database error. That is safe even when the error hid
/// a commit: every attempt first reads its stream, so a committed write answers as a repeat.
/// </summary>
public static class DatabaseResilience
{
    /// <summary>Opening a connection to a stalled server gives up after this.</summary>
    public const int ConnectTimeoutSeconds = 3;

    /// <summary>Our statements take milliseconds; a command this slow means a stalled server.</summary>
    public const int CommandTimeoutSeconds = 5;

    public const int TransientRetriesMax = 2;

    public const int RetryDelayMilliseconds = 100;

    public static ResiliencePipeline Pipeline { get; } =
        new ResiliencePipelineBuilder()
            .AddRetry(
                new RetryStrategyOptions
                {
                    // A timeout is not retried: a stalled server should cost one timeout, not three.
                    ShouldHandle = new PredicateBuilder().Handle<NpgsqlException>(e =>
                        e.IsTransient && !IsTimeout(e)
                    ),
                    MaxRetryAttempts = TransientRetriesMax,
                    Delay = TimeSpan.FromMilliseconds(RetryDelayMilliseconds),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                }
            )
            .Build();

    /// <summary>The failures that mean "the database is unavailable", answered 503.</summary>
    public static bool IsUnavailable(Exception e) =>
        e is TimeoutException
        || (e is NpgsqlException npgsql && (npgsql.IsTransient || IsTimeout(npgsql)));

    /// <summary>
    /// An unavailable database, not a lock conflict among a group's own statements: a group
    /// that meets it passes it to each member, which meets it as it would alone (its retries,
    /// then 503); a group that meets anything else sends each member to run alone.
    /// </summary>
    public static bool IsOutage(Exception e) => IsUnavailable(e) && !IsLockConflict(e);

    private static bool IsLockConflict(Exception e) =>
        e
            is PostgresException
            {
                SqlState: PostgresErrorCodes.DeadlockDetected
                    or PostgresErrorCodes.SerializationFailure
                    or PostgresErrorCodes.LockNotAvailable
            };

    /// <summary>Applies the timeouts above unless the connection string sets its own.</summary>
    public static string WithTimeouts(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Mentions(connectionString, "Timeout"))
        {
            builder.Timeout = ConnectTimeoutSeconds;
        }
        if (!Mentions(connectionString, "Command Timeout", "CommandTimeout"))
        {
            builder.CommandTimeout = CommandTimeoutSeconds;
        }
        return builder.ConnectionString;
    }

    private static bool IsTimeout(NpgsqlException e) => e.InnerException is TimeoutException;

    /// <summary>True when the connection string sets any of these keys itself.</summary>
    internal static bool Mentions(string connectionString, params string[] keys) =>
        connectionString
            .Split(';')
            .Select(part => part.Split('=')[0].Trim())
            .Any(name => keys.Contains(name, StringComparer.OrdinalIgnoreCase));
}
