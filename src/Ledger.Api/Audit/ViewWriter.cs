using Ledger.Domain.Balances;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Api.Audit;

/// <summary>
/// Writes replayed rows with binary COPY into the staging tables of a rebuild: temporary
/// tables created LIKE the views, so their columns (and row types) are the views' own.
/// </summary>
internal static class ViewWriter
{
    public const string CreateStagingSql = """
        CREATE TEMP TABLE staged_balances (LIKE ledger.balances);
        CREATE TEMP TABLE staged_hold_status (LIKE ledger.hold_status);
        CREATE TEMP TABLE staged_connections (LIKE ledger.connections);
        """;

    public const string AnalyzeStagingSql = """
        ANALYZE pg_temp.staged_balances;
        ANALYZE pg_temp.staged_hold_status;
        ANALYZE pg_temp.staged_connections;
        """;

    private const string BalancesCopy = """
        COPY pg_temp.staged_balances (client_id, connection_id, currency, available, reserved,
            pending_credit, updated_at) FROM STDIN (FORMAT BINARY)
        """;

    private const string HoldsCopy = """
        COPY pg_temp.staged_hold_status (id, kind, client_id, connection_id,
            partners_connection_id, partner_client_id, currency, quantity, status,
            partner_reference, rejection_reason, version, created_at, updated_at)
        FROM STDIN (FORMAT BINARY)
        """;

    private const string ConnectionsCopy = """
        COPY pg_temp.staged_connections (connection_id, client_id, client_wallet_id, partner_id,
            partners_client_id, partners_connection_id, active, deactivation_reason, version,
            created_at, updated_at) FROM STDIN (FORMAT BINARY)
        """;

    // Rows a catch-up changed are replaced in the staging tables before the sync.
    private const string UnstageBalancesSql = """
        DELETE FROM pg_temp.staged_balances s
        USING unnest($1::uuid[], $2::uuid[], $3::text[]) AS k (client_id, connection_id, currency)
        WHERE s.client_id = k.client_id AND s.connection_id = k.connection_id
          AND s.currency = k.currency
        """;

    private const string UnstageHoldsSql =
        "DELETE FROM pg_temp.staged_hold_status WHERE id = ANY($1)";

    private const string UnstageConnectionsSql =
        "DELETE FROM pg_temp.staged_connections WHERE connection_id = ANY($1)";

    public static async Task StageAsync(
        NpgsqlConnection connection,
        IEnumerable<KeyValuePair<BalanceKey, BalanceRow>> balances,
        IEnumerable<KeyValuePair<Guid, HoldRow>> holds,
        IEnumerable<KeyValuePair<Guid, ConnectionRow>> connections,
        CancellationToken cancellationToken
    )
    {
        await WriteBalancesAsync(connection, balances, cancellationToken);
        await WriteHoldsAsync(connection, holds, cancellationToken);
        await WriteConnectionsAsync(connection, connections, cancellationToken);
    }

    /// <summary>
    /// Removes staged rows for these balances and streams, so they can be staged anew.
    /// </summary>
    public static async Task UnstageAsync(
        NpgsqlConnection connection,
        IReadOnlyCollection<BalanceKey> balances,
        IReadOnlyCollection<Guid> streams,
        CancellationToken cancellationToken
    )
    {
        Guid[] streamIds = [.. streams];
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(UnstageBalancesSql)
                {
                    Parameters =
                    {
                        new() { Value = balances.Select(k => k.ClientId).ToArray() },
                        new() { Value = balances.Select(k => k.ConnectionId).ToArray() },
                        new() { Value = balances.Select(k => k.Currency.Code).ToArray() },
                    },
                },
                new NpgsqlBatchCommand(UnstageHoldsSql)
                {
                    Parameters = { new() { Value = streamIds } },
                },
                new NpgsqlBatchCommand(UnstageConnectionsSql)
                {
                    Parameters = { new() { Value = streamIds } },
                },
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task WriteBalancesAsync(
        NpgsqlConnection connection,
        IEnumerable<KeyValuePair<BalanceKey, BalanceRow>> rows,
        CancellationToken cancellationToken
    )
    {
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            BalancesCopy,
            cancellationToken
        );
        foreach ((BalanceKey key, BalanceRow row) in rows)
        {
            importer.StartRow();
            importer.Write(key.ClientId, NpgsqlDbType.Uuid);
            importer.Write(key.ConnectionId, NpgsqlDbType.Uuid);
            importer.Write(key.Currency.Code, NpgsqlDbType.Text);
            importer.Write(row.Available, NpgsqlDbType.Numeric);
            importer.Write(row.Reserved, NpgsqlDbType.Numeric);
            importer.Write(row.PendingCredit, NpgsqlDbType.Numeric);
            importer.Write(row.UpdatedAt, NpgsqlDbType.TimestampTz);
        }
        await importer.CompleteAsync(cancellationToken);
    }

    private static async Task WriteHoldsAsync(
        NpgsqlConnection connection,
        IEnumerable<KeyValuePair<Guid, HoldRow>> rows,
        CancellationToken cancellationToken
    )
    {
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            HoldsCopy,
            cancellationToken
        );
        foreach ((Guid id, HoldRow row) in rows)
        {
            var request = row.Hold.Request;
            importer.StartRow();
            importer.Write(id, NpgsqlDbType.Uuid);
            importer.Write(row.Kind, NpgsqlDbType.Text);
            importer.Write(request.ClientId, NpgsqlDbType.Uuid);
            importer.Write(request.ConnectionId, NpgsqlDbType.Uuid);
            importer.Write(request.PartnersConnectionId, NpgsqlDbType.Text);
            importer.Write(request.PartnerClientId, NpgsqlDbType.Text);
            importer.Write(request.Amount.Currency.Code, NpgsqlDbType.Text);
            importer.Write(request.Amount.Quantity.Value, NpgsqlDbType.Numeric);
            importer.Write(row.Status, NpgsqlDbType.Text);
            WriteText(importer, row.Hold.PartnerReference);
            WriteText(importer, row.Hold.RejectionReason);
            importer.Write(row.Hold.Version, NpgsqlDbType.Integer);
            importer.Write(row.CreatedAt, NpgsqlDbType.TimestampTz);
            importer.Write(row.UpdatedAt, NpgsqlDbType.TimestampTz);
        }
        await importer.CompleteAsync(cancellationToken);
    }

    private static async Task WriteConnectionsAsync(
        NpgsqlConnection connection,
        IEnumerable<KeyValuePair<Guid, ConnectionRow>> rows,
        CancellationToken cancellationToken
    )
    {
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            ConnectionsCopy,
            cancellationToken
        );
        foreach ((Guid id, ConnectionRow row) in rows)
        {
            var c = row.Connection;
            importer.StartRow();
            importer.Write(id, NpgsqlDbType.Uuid);
            importer.Write(c.ClientId, NpgsqlDbType.Uuid);
            importer.Write(c.ClientWalletId, NpgsqlDbType.Text);
            importer.Write(c.PartnerId, NpgsqlDbType.Uuid);
            importer.Write(c.PartnersClientId, NpgsqlDbType.Text);
            importer.Write(c.PartnersConnectionId, NpgsqlDbType.Text);
            importer.Write(c.IsActive, NpgsqlDbType.Boolean);
            WriteText(importer, row.DeactivationReason);
            importer.Write(c.Version, NpgsqlDbType.Integer);
            importer.Write(row.CreatedAt, NpgsqlDbType.TimestampTz);
            importer.Write(row.UpdatedAt, NpgsqlDbType.TimestampTz);
        }
        await importer.CompleteAsync(cancellationToken);
    }

    private static void WriteText(NpgsqlBinaryImporter importer, string? value)
    {
        if (value is null)
        {
            importer.WriteNull();
        }
        else
        {
            importer.Write(value, NpgsqlDbType.Text);
        }
    }
}
