using System.Diagnostics;
using Npgsql;

namespace Ledger.LocalPostgres;

/// <summary>The steps after pg_ctl start that need a real connection.</summary>
internal static class ServerSetup
{
    private const int ProbeIntervalMilliseconds = 100;
    private const int ProbeConnectTimeoutSeconds = 5;

    /// <summary>
    /// pg_ctl -w already waits for the server, but an adopted server may still be recovering,
    /// and only a real login proves that the password and pg_hba.conf work.
    /// </summary>
    public static async Task WaitUntilAcceptingConnectionsAsync(
        string connectionString,
        int timeoutSeconds,
        Func<string> logTail,
        CancellationToken cancellationToken
    )
    {
        var probe = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Pooling = false,
            Timeout = ProbeConnectTimeoutSeconds,
        }.ConnectionString;
        var elapsed = Stopwatch.StartNew();
        NpgsqlException? lastFailure = null;
        while (elapsed.Elapsed < TimeSpan.FromSeconds(timeoutSeconds))
        {
            lastFailure = await TryConnectAsync(probe, cancellationToken);
            if (lastFailure is null)
            {
                return;
            }
            await Task.Delay(ProbeIntervalMilliseconds, cancellationToken);
        }
        throw new LocalPostgresUnavailableException(
            $"PostgreSQL did not accept connections within {timeoutSeconds} s: "
                + $"{lastFailure?.Message}\nLast lines of the server log:\n{logTail()}",
            lastFailure
        );
    }

    public static async Task CreateDatabaseIfMissingAsync(
        string adminConnectionString,
        string databaseName,
        CancellationToken cancellationToken
    )
    {
        var unpooled = new NpgsqlConnectionStringBuilder(adminConnectionString) { Pooling = false };
        await using var connection = new NpgsqlConnection(unpooled.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand(
            "SELECT 1 FROM pg_database WHERE datname = $1",
            connection
        );
        exists.Parameters.Add(new NpgsqlParameter { Value = databaseName });
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }
        // CREATE DATABASE takes no parameters. The name matched DatabaseNamePattern (lower-case
        // letters, digits, underscore), so quoting it cannot be escaped from.
        await using var create = new NpgsqlCommand(
            $"CREATE DATABASE \"{databaseName}\"",
            connection
        );
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException exception)
            when (exception.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another process created it between our check and our CREATE; that is the goal.
        }
    }

    /// <summary>Null when a login succeeded; the failure when it is worth trying again.</summary>
    private static async Task<NpgsqlException?> TryConnectAsync(
        string connectionString,
        CancellationToken cancellationToken
    )
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(cancellationToken);
            return null;
        }
        catch (NpgsqlException exception) when (IsTransient(exception))
        {
            return exception;
        }
    }

    /// <summary>
    /// Refused sockets and "the database system is starting up" pass with time; a wrong password
    /// or a broken pg_hba.conf never will, so those fail at once.
    /// </summary>
    private static bool IsTransient(NpgsqlException exception) =>
        exception is not PostgresException postgres
        || postgres.SqlState == PostgresErrorCodes.CannotConnectNow;
}
