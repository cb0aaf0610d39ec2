using System.Globalization;
using System.Net;
using System.Numerics;
using System.Text.Json.Nodes;

namespace Ledger.Api.Tests.Support;

/// <summary>
/// One kind of hold (allocation or deallocation) as the contract tests see it: its id field,
/// its partner reference field and its paths. Theories take the kind's name, so one test names
/// one rule and runs it for every kind the rule applies to.
/// </summary>
public sealed record HoldKind(string Name, string IdField, string ReferenceField)
{
    public static readonly HoldKind Allocation = new(
        "allocation",
        "allocationId",
        "partnerAllocationId"
    );

    public static readonly HoldKind Deallocation = new(
        "deallocation",
        "deallocationId",
        "partnerDeallocationId"
    );

    public static HoldKind Named(string name) =>
        name switch
        {
            "allocation" => Allocation,
            "deallocation" => Deallocation,
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such hold kind"),
        };

    public string OpenPath => $"/bitgo/v1/{Name}s";

    /// <summary>An event type of this kind, as the log names it ("deallocation_cleared").</summary>
    public string EventType(string step) => $"{Name}_{step}";

    public string StatusPath(Guid id) => $"/bitgo/v1/{Name}/{id}";

    public string SettlePath(Guid id, string settlement) => $"/bitgo/v1/{Name}/{id}/{settlement}";

    public JsonObject Body(Guid id, TestConnection c, string currency, string quantity) =>
        BitGoClient.HoldBody(IdField, id, c, currency, quantity);

    public override string ToString() => Name;
}

/// <summary>A row of ledger.balances, read as exact integers (numeric through text).</summary>
public sealed record BalanceRow(BigInteger Available, BigInteger Reserved, BigInteger PendingCredit)
{
    public static BalanceRow Zero { get; } = new(0, 0, 0);

    public static BalanceRow Of(long available, long reserved, long pendingCredit) =>
        new(available, reserved, pendingCredit);
}

/// <summary>Small shared steps and reads of the contract tests.</summary>
public static class ContractHelpers
{
    /// <summary>Reads the balance of a connection in a currency; no row reads as zero.</summary>
    public static async Task<BalanceRow> BalanceAsync(
        this LedgerApiFixture fixture,
        TestConnection c,
        string currency
    )
    {
        string? row = await fixture.ScalarAsync<string>(
            """
            SELECT available::text || '/' || reserved::text || '/' || pending_credit::text
            FROM ledger.balances WHERE client_id = $1 AND connection_id = $2 AND currency = $3
            """,
            c.ClientId,
            c.ConnectionId,
            currency
        );
        if (row is null)
        {
            return BalanceRow.Zero;
        }
        BigInteger[] parts =
        [
            .. row.Split('/').Select(p => BigInteger.Parse(p, CultureInfo.InvariantCulture)),
        ];
        return new BalanceRow(parts[0], parts[1], parts[2]);
    }

    /// <summary>The event types of one stream in version order, comma separated.</summary>
    public static async Task<string> StreamEventTypesAsync(
        this LedgerApiFixture fixture,
        Guid streamId
    ) =>
        await fixture.ScalarAsync<string>(
            """
            SELECT string_agg(type, ',' ORDER BY version) FROM ledger.events WHERE stream_id = $1
            """,
            streamId
        ) ?? "";

    /// <summary>The status read model's status and reason of one hold, "status/reason".</summary>
    public static async Task<string?> HoldStatusAsync(this LedgerApiFixture fixture, Guid id) =>
        await fixture.ScalarAsync<string>(
            """
            SELECT status || '/' || COALESCE(rejection_reason, '')
            FROM ledger.hold_status WHERE id = $1
            """,
            id
        );

    /// <summary>
    /// Opens a hold that ends reserved. A deallocation needs funds first, so the connection is
    /// funded with exactly the quantity before it is deallocated.
    /// </summary>
    public static async Task<Answer> OpenReservedAsync(
        this BitGoClient bitgo,
        HoldKind kind,
        Guid id,
        TestConnection c,
        string currency,
        string quantity
    )
    {
        if (kind == HoldKind.Deallocation)
        {
            await bitgo.FundAsync(c, currency, quantity);
        }
        Answer answer = await bitgo.PostAsync(kind.OpenPath, kind.Body(id, c, currency, quantity));
        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Null(answer.Json["rejectionReason"]);
        return answer;
    }

    /// <summary>Opens a hold that the ledger refuses, for a currency it does not hold.</summary>
    public static async Task<Answer> OpenRejectedAsync(
        this BitGoClient bitgo,
        HoldKind kind,
        Guid id,
        TestConnection c
    )
    {
        Answer answer = await bitgo.PostAsync(kind.OpenPath, kind.Body(id, c, "doge", "5"));
        answer.AssertStatus(HttpStatusCode.OK);
        Assert.Equal("unknown currency", answer.RejectionReason());
        return answer;
    }

    /// <summary>The answer's rejectionReason, or null when the hold was not refused.</summary>
    public static string? RejectionReason(this Answer answer) => answer.Text("rejectionReason");

    /// <summary>A top-level string member of the answer, or null when it is absent.</summary>
    public static string? Text(this Answer answer, string member) =>
        answer.Json[member]?.GetValue<string>();

    /// <summary>
    /// A full ProblemDetails (status, title, detail) whose "error" names the field first, in
    /// the form "amount.quantity: ...".
    /// </summary>
    public static Answer AssertProblemNaming(
        this Answer answer,
        HttpStatusCode status,
        string field
    )
    {
        answer.AssertProblem(status);
        Assert.False(string.IsNullOrEmpty(answer.Text("title")), answer.Body);
        Assert.False(string.IsNullOrEmpty(answer.Text("detail")), answer.Body);
        Assert.StartsWith(field + ":", answer.Error, StringComparison.Ordinal);
        return answer;
    }
}
