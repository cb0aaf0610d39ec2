using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Ledger.EventStore;

/// <summary>An idempotent SQL script that brings one component's tables to a version.</summary>
public sealed record SchemaScript(string Component, int Version, string Sql)
{
    public static SchemaScript FromResource(
        Assembly assembly,
        string resourceName,
        string component,
        int version
    )
    {
        using Stream stream =
            assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"embedded resource {resourceName} is missing");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return new SchemaScript(component, version, reader.ReadToEnd());
    }

    public string Sha256 => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>
/// Applies schema scripts at startup. Scripts are idempotent, so applying twice is harmless;
/// an advisory lock serialises nodes that start together; schema_versions records what was
/// applied, which the readiness check compares with what the code expects.
/// </summary>
public static class SchemaApplier
{
    /// <summary>An arbitrary constant that no other application takes as an advisory lock.</summary>
    private const long SchemaLockKey = 0x4C_65_64_67_65_72_53;

    private const string Bootstrap = """
        CREATE SCHEMA IF NOT EXISTS ledger;
        CREATE TABLE IF NOT EXISTS ledger.schema_versions (
            component   text        NOT NULL,
            version     integer     NOT NULL,
            sha256      text        NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_schema_versions PRIMARY KEY (component)
        );
        """;

    private const string RecordVersion = """
        INSERT INTO ledger.schema_versions (component, version, sha256)
        VALUES ($1, $2, $3)
        ON CONFLICT (component) DO UPDATE
            SET version = EXCLUDED.version, sha256 = EXCLUDED.sha256, applied_at = now()
        """;

    public static SchemaScript EventStoreScript { get; } =
        SchemaScript.FromResource(
            typeof(SchemaApplier).Assembly,
            "Ledger.EventStore.schema.sql",
            "event_store",
            1
        );

    public static async Task ApplyAsync(
        NpgsqlDataSource dataSource,
        IReadOnlyList<SchemaScript> scripts,
        CancellationToken cancellationToken = default
    )
    {
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(
            cancellationToken
        );
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(
            cancellationToken
        );
        await using (
            var lockCommand = new NpgsqlCommand(
                "SELECT pg_advisory_xact_lock($1)",
                connection,
                transaction
            )
        )
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = SchemaLockKey });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }
        await ExecuteAsync(connection, transaction, Bootstrap, cancellationToken);
        foreach (SchemaScript script in scripts)
        {
            await ExecuteAsync(connection, transaction, script.Sql, cancellationToken);
            await using var record = new NpgsqlCommand(RecordVersion, connection, transaction);
            record.Parameters.Add(new NpgsqlParameter { Value = script.Component });
            record.Parameters.Add(new NpgsqlParameter { Value = script.Version });
            record.Parameters.Add(new NpgsqlParameter { Value = script.Sha256 });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>True when every script's component is recorded at least at the script's version.</summary>
    public static async Task<bool> IsCurrentAsync(
        NpgsqlDataSource dataSource,
        IReadOnlyList<SchemaScript> scripts,
        CancellationToken cancellationToken = default
    )
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(
            "SELECT component, version FROM ledger.schema_versions"
        );
        var applied = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(
                cancellationToken
            );
            while (await reader.ReadAsync(cancellationToken))
            {
                applied[reader.GetString(0)] = reader.GetInt32(1);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return false;
        }
        return scripts.All(s => applied.TryGetValue(s.Component, out int v) && v >= s.Version);
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        string sql,
        CancellationToken cancellationToken
    )
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
