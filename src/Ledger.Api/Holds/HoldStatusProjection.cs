using Ledger.Domain.Holds;
using Ledger.EventStore;

namespace Ledger.Api.Holds;

/// <summary>
/// Keeps ledger.hold_status, the status read model of every allocation and deallocation, in
/// the append's own transaction. Each update must find exactly its row.
/// </summary>
public sealed class HoldStatusProjection : IInlineProjection
{
    private const string InsertSql = """
        INSERT INTO ledger.hold_status (id, kind, client_id, connection_id, partners_connection_id,
            partner_client_id, currency, quantity, status, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'requested', $9)
        """;

    private const string UpdateSql = """
        UPDATE ledger.hold_status
        SET status = $2, version = $3, updated_at = now(),
            partner_reference = COALESCE($4, partner_reference),
            rejection_reason = COALESCE($5, rejection_reason)
        WHERE id = $1 AND version = $3 - 1
        """;

    public void Project(IReadOnlyList<PendingEvent> events, ProjectionBatch batch)
    {
        foreach (PendingEvent e in events)
        {
            switch (e.Data)
            {
                case IHoldRequested requested:
                    HoldRequest r = requested.ToRequest();
                    batch.Add(InsertSql,
                        [r.Id, e.StreamType, r.ClientId, r.ConnectionId, r.PartnersConnectionId,
                            r.PartnerClientId, r.Amount.Currency.Code, r.Amount.Quantity.Value, e.Version],
                        expectedRows: 1, invariant: "a hold's status row is created once");
                    break;
                case IHoldReserved reserved:
                    Update(batch, e, "reserved", reserved.PartnerReference, null);
                    break;
                case IHoldRejected rejected:
                    Update(batch, e, "rejected", rejected.PartnerReference, rejected.Reason);
                    break;
                case IHoldCleared:
                    Update(batch, e, "cleared", null, null);
                    break;
                case IHoldReleased:
                    Update(batch, e, "released", null, null);
                    break;
            }
        }
    }

    private static void Update(ProjectionBatch batch, PendingEvent e, string status, string? reference,
        string? reason) =>
        batch.Add(UpdateSql,
            [e.StreamId, status, e.Version, Nullable(reference), Nullable(reason)],
            expectedRows: 1, invariant: "a hold's status row follows its stream version by version");

    /// <summary>Npgsql needs a typed null for a text parameter.</summary>
    private static object Nullable(string? value) =>
        new Npgsql.NpgsqlParameter<string?> { TypedValue = value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text };
}
