using System.Data;
using System.Numerics;
using Ledger.Domain;
using Ledger.Domain.Balances;
using Npgsql;

namespace Ledger.Api.Audit;

/// <summary>
/// Compares the live views with the replay, row by row and field by field, streaming each
/// table once: missing rows, extra rows and every differing field are reported.
/// balances.updated_at is not compared: two appends to one balance may commit in the other
/// order than their transactions started, so the live value is not a function of the log.
/// </summary>
internal sealed class ViewComparer(ProjectionReplay replay, DiscrepancyLog log)
{
    private const string BalancesSql = """
        SELECT client_id, connection_id, currency, available, reserved, pending_credit
        FROM ledger.balances
        """;

    private const string HoldsSql = """
        SELECT id, kind, client_id, connection_id, partners_connection_id, partner_client_id,
               currency, quantity, status, partner_reference, rejection_reason, version,
               created_at, updated_at
        FROM ledger.hold_status
        """;

    private const string ConnectionsSql = """
        SELECT connection_id, client_id, client_wallet_id, partner_id, partners_client_id,
               partners_connection_id, active, deactivation_reason, version, created_at, updated_at
        FROM ledger.connections
        """;

    public int BalancesCompared { get; private set; }

    public int HoldsCompared { get; private set; }

    public int ConnectionsCompared { get; private set; }

    public async Task CompareAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await CompareBalancesAsync(connection, cancellationToken);
        await CompareHoldsAsync(connection, cancellationToken);
        await CompareConnectionsAsync(connection, cancellationToken);
    }

    private async Task CompareBalancesAsync(
        NpgsqlConnection connection,
        CancellationToken cancellationToken
    )
    {
        var seen = new HashSet<BalanceKey>();
        await using var command = new NpgsqlCommand(BalancesSql, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            BalancesCompared++;
            string code = reader.GetString(2);
            if (!Currency.TryParse(code, out Currency currency))
            {
                string subject = $"balance {reader.GetGuid(0):D}/{reader.GetGuid(1):D}/{code}";
                log.Add(new Discrepancy(subject, "currency", "a currency code", code));
                continue;
            }
            var key = new BalanceKey(reader.GetGuid(0), reader.GetGuid(1), currency);
            seen.Add(key);
            if (!replay.Balances.TryGetValue(key, out BalanceRow? expected))
            {
                log.Add(Discrepancy.OfBalance(key, "row", Discrepancy.None, "a row"));
                continue;
            }
            var fields = new FieldComparer((f, e, a) => Discrepancy.OfBalance(key, f, e, a), log);
            fields.Compare("available", expected.Available, reader.GetFieldValue<BigInteger>(3));
            fields.Compare("reserved", expected.Reserved, reader.GetFieldValue<BigInteger>(4));
            fields.Compare(
                "pending_credit",
                expected.PendingCredit,
                reader.GetFieldValue<BigInteger>(5)
            );
        }
        foreach (BalanceKey key in replay.Balances.Keys.Where(k => !seen.Contains(k)))
        {
            log.Add(Discrepancy.OfBalance(key, "row", "a ledger.balances row", Discrepancy.None));
        }
    }

    private async Task CompareHoldsAsync(
        NpgsqlConnection connection,
        CancellationToken cancellationToken
    )
    {
        var seen = new HashSet<Guid>();
        await using var command = new NpgsqlCommand(HoldsSql, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            HoldsCompared++;
            Guid id = reader.GetGuid(0);
            seen.Add(id);
            if (!replay.Holds.TryGetValue(id, out HoldRow? expected))
            {
                log.Add(Discrepancy.OfHold(id, "row", Discrepancy.None, "a row"));
                continue;
            }
            CompareHold(
                expected,
                reader,
                new FieldComparer((f, e, a) => Discrepancy.OfHold(id, f, e, a), log)
            );
        }
        foreach (Guid id in replay.Holds.Keys.Where(k => !seen.Contains(k)))
        {
            log.Add(Discrepancy.OfHold(id, "row", "a ledger.hold_status row", Discrepancy.None));
        }
    }

    private static void CompareHold(HoldRow expected, NpgsqlDataReader reader, FieldComparer fields)
    {
        var request = expected.Hold.Request;
        fields.Compare("kind", expected.Kind, reader.GetString(1));
        fields.Compare("client_id", request.ClientId, reader.GetGuid(2));
        fields.Compare("connection_id", request.ConnectionId, reader.GetGuid(3));
        fields.Compare("partners_connection_id", request.PartnersConnectionId, reader.GetString(4));
        fields.Compare("partner_client_id", request.PartnerClientId, reader.GetString(5));
        fields.Compare("currency", request.Amount.Currency.Code, reader.GetString(6));
        fields.Compare(
            "quantity",
            request.Amount.Quantity.Value,
            reader.GetFieldValue<BigInteger>(7)
        );
        fields.Compare("status", expected.Status, reader.GetString(8));
        fields.Compare(
            "partner_reference",
            expected.Hold.PartnerReference,
            NullableText(reader, 9)
        );
        fields.Compare("rejection_reason", expected.Hold.RejectionReason, NullableText(reader, 10));
        fields.Compare("version", expected.Hold.Version, reader.GetInt32(11));
        fields.Compare("created_at", expected.CreatedAt, reader.GetFieldValue<DateTime>(12));
        fields.Compare("updated_at", expected.UpdatedAt, reader.GetFieldValue<DateTime>(13));
    }

    private async Task CompareConnectionsAsync(
        NpgsqlConnection connection,
        CancellationToken cancellationToken
    )
    {
        var seen = new HashSet<Guid>();
        await using var command = new NpgsqlCommand(ConnectionsSql, connection);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            ConnectionsCompared++;
            Guid id = reader.GetGuid(0);
            seen.Add(id);
            if (!replay.Connections.TryGetValue(id, out ConnectionRow? expected))
            {
                log.Add(Discrepancy.OfConnection(id, "row", Discrepancy.None, "a row"));
                continue;
            }
            CompareConnection(
                expected,
                reader,
                new FieldComparer((f, e, a) => Discrepancy.OfConnection(id, f, e, a), log)
            );
        }
        foreach (Guid id in replay.Connections.Keys.Where(k => !seen.Contains(k)))
        {
            log.Add(
                Discrepancy.OfConnection(id, "row", "a ledger.connections row", Discrepancy.None)
            );
        }
    }

    private static void CompareConnection(
        ConnectionRow expected,
        NpgsqlDataReader reader,
        FieldComparer fields
    )
    {
        var c = expected.Connection;
        fields.Compare("client_id", c.ClientId, reader.GetGuid(1));
        fields.Compare("client_wallet_id", c.ClientWalletId, reader.GetString(2));
        fields.Compare("partner_id", c.PartnerId, reader.GetGuid(3));
        fields.Compare("partners_client_id", c.PartnersClientId, reader.GetString(4));
        fields.Compare("partners_connection_id", c.PartnersConnectionId, reader.GetString(5));
        fields.Compare("active", c.IsActive, reader.GetBoolean(6));
        fields.Compare("deactivation_reason", expected.DeactivationReason, NullableText(reader, 7));
        fields.Compare("version", c.Version, reader.GetInt32(8));
        fields.Compare("created_at", expected.CreatedAt, reader.GetFieldValue<DateTime>(9));
        fields.Compare("updated_at", expected.UpdatedAt, reader.GetFieldValue<DateTime>(10));
    }

    private static string? NullableText(IDataRecord reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    /// <summary>Reports a field whose live value differs from the replayed one.</summary>
    private sealed class FieldComparer(
        Func<string, string, string, Discrepancy> subject,
        DiscrepancyLog log
    )
    {
        public void Compare<T>(string field, T expected, T found)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, found))
            {
                log.Add(subject(field, Text(expected), Text(found)));
            }
        }

        private static string Text<T>(T value) =>
            value switch
            {
                null => "null",
                DateTime time => EventHash.RecordedAtText(time),
                bool flag => flag ? "true" : "false",
                _ => value.ToString() ?? "null",
            };
    }
}
