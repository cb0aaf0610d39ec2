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

    // Group commit (ADR 0010): a hold the group opens is inserted once, already in the status
    // its events in the group leave it (one heap tuple and one set of index entries, where an
    // insert and an update would write two), and every hold a group opens in one statement.
    private const string InsertGroupSql = """
        INSERT INTO ledger.hold_status (id, kind, client_id, connection_id, partners_connection_id,
            partner_client_id, currency, quantity, status, partner_reference, rejection_reason,
            version)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[],
                             $6::text[], $7::text[], $8::numeric[], $9::text[], $10::text[],
                             $11::text[], $12::integer[])
        """;

    // Streams opened before the group move one statement per version level.
    private const string UpdateGroupSql = """
        UPDATE ledger.hold_status h
        SET status = u.status, version = u.version, updated_at = now(),
            partner_reference = COALESCE(u.reference, h.partner_reference),
            rejection_reason = COALESCE(u.reason, h.rejection_reason)
        FROM unnest($1::uuid[], $2::text[], $3::integer[], $4::text[], $5::text[])
             AS u(id, status, version, reference, reason)
        WHERE h.id = u.id AND h.version = u.version - 1
        """;

    public void Project(IReadOnlyList<PendingEvent> events, ProjectionBatch batch)
    {
        foreach (PendingEvent e in events)
        {
            if (e.Data is IHoldRequested requested)
            {
                HoldRequest r = requested.ToRequest();
                batch.Add(
                    InsertSql,
                    [
                        r.Id,
                        e.StreamType,
                        r.ClientId,
                        r.ConnectionId,
                        r.PartnersConnectionId,
                        r.PartnerClientId,
                        r.Amount.Currency.Code,
                        r.Amount.Quantity.Value,
                        e.Version,
                    ],
                    expectedRows: 1,
                    invariant: "a hold's status row is created once"
                );
            }
            else if (ChangeOf(e.Data) is { } change)
            {
                Update(batch, e, change.Status, change.Reference, change.Reason);
            }
        }
    }

    /// <summary>
    /// The rows <see cref="Project"/> leaves, written set-based: each hold opened in the group
    /// inserted in its final state, then each version level's updates of older holds, each
    /// statement checked for its exact row count.
    /// </summary>
    public void ProjectGroup(IReadOnlyList<PendingEvent> events, ProjectionBatch batch)
    {
        var opened = new Dictionary<Guid, OpenedRow>();
        var changes = new List<(PendingEvent Event, StatusChange Change)>();
        foreach (PendingEvent e in events)
        {
            if (e.Data is IHoldRequested requested)
            {
                opened.Add(
                    e.StreamId,
                    new OpenedRow(e, requested.ToRequest(), "requested", null, null, e.Version)
                );
            }
            else if (ChangeOf(e.Data) is { } change)
            {
                if (opened.TryGetValue(e.StreamId, out OpenedRow? row))
                {
                    // COALESCE as the update does: a later event without a reference keeps it.
                    opened[e.StreamId] = row with
                    {
                        Status = change.Status,
                        Reference = change.Reference ?? row.Reference,
                        Reason = change.Reason ?? row.Reason,
                        Version = e.Version,
                    };
                }
                else
                {
                    changes.Add((e, change));
                }
            }
        }
        InsertOpened([.. opened.Values], batch);
        foreach (var level in changes.GroupBy(c => c.Event.Version).OrderBy(g => g.Key))
        {
            var rows = level.ToList();
            batch.Add(
                UpdateGroupSql,
                [
                    rows.Select(r => r.Event.StreamId).ToArray(),
                    rows.Select(r => r.Change.Status).ToArray(),
                    rows.Select(r => r.Event.Version).ToArray(),
                    TextArray(rows.Select(r => r.Change.Reference)),
                    TextArray(rows.Select(r => r.Change.Reason)),
                ],
                expectedRows: rows.Count,
                invariant: "a hold's status row follows its stream version by version"
            );
        }
    }

    private static void InsertOpened(List<OpenedRow> rows, ProjectionBatch batch)
    {
        if (rows.Count == 0)
        {
            return;
        }
        batch.Add(
            InsertGroupSql,
            [
                rows.Select(r => r.Request.Id).ToArray(),
                rows.Select(r => r.First.StreamType).ToArray(),
                rows.Select(r => r.Request.ClientId).ToArray(),
                rows.Select(r => r.Request.ConnectionId).ToArray(),
                rows.Select(r => r.Request.PartnersConnectionId).ToArray(),
                rows.Select(r => r.Request.PartnerClientId).ToArray(),
                rows.Select(r => r.Request.Amount.Currency.Code).ToArray(),
                new Npgsql.NpgsqlParameter
                {
                    Value = rows.Select(r => r.Request.Amount.Quantity.Value).ToArray(),
                    NpgsqlDbType =
                        NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Numeric,
                },
                rows.Select(r => r.Status).ToArray(),
                TextArray(rows.Select(r => r.Reference)),
                TextArray(rows.Select(r => r.Reason)),
                rows.Select(r => r.Version).ToArray(),
            ],
            expectedRows: rows.Count,
            invariant: "a hold's status row is created once"
        );
    }

    /// <summary>
    /// The status an event moves a hold to, with its reference and reason; null for a request.
    /// </summary>
    private static StatusChange? ChangeOf(object data) =>
        data switch
        {
            IHoldReserved reserved => new StatusChange("reserved", reserved.PartnerReference, null),
            IHoldRejected rejected => new StatusChange(
                "rejected",
                rejected.PartnerReference,
                rejected.Reason
            ),
            IHoldCleared => new StatusChange("cleared", null, null),
            IHoldReleased => new StatusChange("released", null, null),
            _ => null,
        };

    /// <summary>Npgsql needs the type of a text array that may hold nulls.</summary>
    private static Npgsql.NpgsqlParameter TextArray(IEnumerable<string?> values) =>
        new()
        {
            Value = values.ToArray(),
            NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text,
        };

    private static void Update(
        ProjectionBatch batch,
        PendingEvent e,
        string status,
        string? reference,
        string? reason
    ) =>
        batch.Add(
            UpdateSql,
            [e.StreamId, status, e.Version, Nullable(reference), Nullable(reason)],
            expectedRows: 1,
            invariant: "a hold's status row follows its stream version by version"
        );

    /// <summary>Npgsql needs a typed null for a text parameter.</summary>
    private static object Nullable(string? value) =>
        new Npgsql.NpgsqlParameter<string?>
        {
            TypedValue = value,
            NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text,
        };

    private sealed record StatusChange(string Status, string? Reference, string? Reason);

    /// <summary>A hold opened in the group, as its row stands after the group's events.</summary>
    private sealed record OpenedRow(
        PendingEvent First,
        HoldRequest Request,
        string Status,
        string? Reference,
        string? Reason,
        int Version
    );
}
