using Npgsql;
using NpgsqlTypes;

namespace Ledger.Api.Audit;

/// <summary>Writes a replay's rows into the view tables with binary COPY.</summary>
internal static class ViewWriter
{
    private const string BalancesCopy = """
        COPY ledger.balances (client_id, connection_id, currency, available, reserved,
            pending_credit, updated_at) FROM STDIN (FORMAT BINARY)
        """;

    private const string HoldsCopy = """
        COPY ledger.hold_status (id, kind, client_id, connection_id, partners_connection_id,
            partner_client_id, currency, quantity, status, partner_reference, rejection_reason,
            version, created_at, updated_at) FROM STDIN (FORMAT BINARY)
        """;

    private const string ConnectionsCopy = """
        COPY ledger.connections (connection_id, client_id, client_wallet_id, partner_id,
            partners_client_id, partners_connection_id, active, deactivation_reason, version,
            created_at, updated_at) FROM STDIN (FORMAT BINARY)
        """;

    public static async Task WriteAsync(NpgsqlConnection connection, ProjectionReplay replay,
        CancellationToken cancellationToken)
    {
        await WriteBalancesAsync(connection, replay, cancellationToken);
        await WriteHoldsAsync(connection, replay, cancellationToken);
        await WriteConnectionsAsync(connection, replay, cancellationToken);
    }

    private static async Task WriteBalancesAsync(NpgsqlConnection connection, ProjectionReplay replay,
        CancellationToken cancellationToken)
    {
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(BalancesCopy,
            cancellationToken);
        foreach ((var key, BalanceRow row) in replay.Balances)
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

    private static async Task WriteHoldsAsync(NpgsqlConnection connection, ProjectionReplay replay,
        CancellationToken cancellationToken)
    {
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(HoldsCopy,
            cancellationToken);
        foreach ((Guid id, HoldRow row) in replay.Holds)
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

    private static async Task WriteConnectionsAsync(NpgsqlConnection connection, ProjectionReplay replay,
        CancellationToken cancellationToken)
    {
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(ConnectionsCopy,
            cancellationToken);
        foreach ((Guid id, ConnectionRow row) in replay.Connections)
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
