using System.Globalization;
using Npgsql;

namespace Ledger.Api.Audit;

/// <summary>
/// Bounds how long the current transaction waits for a table lock. Everyone who asks for a
/// conflicting lock later queues behind a waiting request, so an unbounded wait would stall
/// the service behind one slow statement.
/// </summary>
internal static class LockTimeout
{
    // set_config(.., true) is SET LOCAL, with the value as a parameter.
    private const string SetLocalSql = "SELECT set_config('lock_timeout', $1, true)";

    public static async Task SetLocalAsync(
        NpgsqlConnection connection,
        int seconds,
        CancellationToken cancellationToken
    )
    {
        await using var command = new NpgsqlCommand(SetLocalSql, connection);
        command.Parameters.Add(
            new NpgsqlParameter { Value = seconds.ToString(CultureInfo.InvariantCulture) + "s" }
        );
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
