using System.Numerics;
using System.Text.Json.Serialization;
using Ledger.Api.Holds;
using Ledger.Domain;
using Ledger.Domain.Holds;
using Npgsql;

namespace Ledger.Api.Queries;

/// <summary>An amount as the query API writes it: the quantity a string of exact digits.</summary>
public sealed record AmountView(string Currency, string Quantity);

/// <summary>
/// One row of ledger.hold_status. Status is the ledger's word (a refusal is "rejected");
/// bitgoStatus is what BitGo was told (a refusal is "released"). The partner's reference is
/// named for the kind, as BitGo's answers name it.
/// </summary>
public sealed record HoldStatusView(
    Guid Id,
    string Kind,
    Guid ClientId,
    Guid ConnectionId,
    string PartnersConnectionId,
    string PartnerClientId,
    AmountView Amount,
    string Status,
    string BitgoStatus,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        string? PartnerAllocationId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
        string? PartnerDeallocationId,
    string? RejectionReason,
    int Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt
);

/// <summary>A page of holds; next is the cursor for the following page, null on the last.</summary>
public sealed record HoldPage(IReadOnlyList<HoldStatusView> Items, Guid? Next);

/// <summary>How a hold_status row is selected and read as a <see cref="HoldStatusView"/>.</summary>
public static class HoldStatusRows
{
    public const string Columns = """
        id, kind, client_id, connection_id, partners_connection_id, partner_client_id, currency,
        quantity, status, partner_reference, rejection_reason, version, created_at, updated_at
        """;

    public static HoldStatusView Read(NpgsqlDataReader r)
    {
        string kind = r.GetString(1);
        string status = r.GetString(8);
        string? reference = r.IsDBNull(9) ? null : r.GetString(9);
        // Quantity.From throws on a negative value; the CHECK constraint makes that a bug.
        Quantity quantity = Quantity.From(r.GetFieldValue<BigInteger>(7));
        return new HoldStatusView(
            r.GetGuid(0),
            kind,
            r.GetGuid(2),
            r.GetGuid(3),
            r.GetString(4),
            r.GetString(5),
            new AmountView(r.GetString(6), quantity.ToString()),
            status,
            BitGoStatus.Of(ParseStatus(status)),
            kind == HoldKind.Allocation.Name ? reference : null,
            kind == HoldKind.Deallocation.Name ? reference : null,
            r.IsDBNull(10) ? null : r.GetString(10),
            r.GetInt32(11),
            r.GetFieldValue<DateTimeOffset>(12),
            r.GetFieldValue<DateTimeOffset>(13)
        );
    }

    /// <summary>
    /// "requested" is never committed alone (the decision is appended with the request), so it
    /// is never read here; BitGoStatus.Of treats it as the bug it would be.
    /// </summary>
    private static HoldStatus ParseStatus(string status) =>
        Enum.TryParse(status, ignoreCase: true, out HoldStatus parsed)
            ? parsed
            : throw new InvariantViolationException(
                $"hold_status has an unknown status '{status}'"
            );
}
