using Ledger.LocalPostgres;
using Npgsql;

namespace Ledger.LocalPostgres.Tests;

internal static class TestSupport
{
    public static string NewRootDirectory() =>
        Path.Combine(Path.GetTempPath(), $"ledger-localpostgres-test-{Guid.NewGuid():N}");

    /// <summary>Durable=false keeps initdb and writes fast; durability is not under test.</summary>
    public static LocalPostgresOptions Options(string rootDirectory, bool throwaway) =>
        new()
        {
            RootDirectory = rootDirectory,
            Throwaway = throwaway,
            Durable = false,
        };

    public static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>StopAsync keeps a persistent cluster, so each test removes its own.</summary>
    public static void DeleteDirectory(string rootDirectory)
    {
        if (Directory.Exists(rootDirectory))
        {
            Directory.Delete(rootDirectory, recursive: true);
        }
    }
}
