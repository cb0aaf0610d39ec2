using System.Globalization;
using System.Numerics;
using Ledger.Api.Balances;
using Ledger.Api.Hosting;
using Ledger.Domain;
using Ledger.Domain.Balances;
using Ledger.EventStore;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ledger.Api.Auditors;

public sealed record StatementQuery(
    [property: FromQuery(Name = "from")] string? From,
    [property: FromQuery(Name = "to")] string? To,
    [property: FromQuery(Name = "currency")] string? Currency
);

/// <summary>Signed amounts, each a string of digits with a leading "-" when negative.</summary>
public sealed record SignedParts(string Available, string Reserved, string PendingCredit)
{
    public static SignedParts Of(BigInteger available, BigInteger reserved, BigInteger pending) =>
        new(Text(available), Text(reserved), Text(pending));

    private static string Text(BigInteger value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One balance-moving event of the period, with the change it made (signed).</summary>
public sealed record StatementMovement(
    long Seq,
    Guid StreamId,
    int Version,
    string Type,
    string RecordedAt,
    Guid ConnectionId,
    string Available,
    string Reserved,
    string PendingCredit
);

/// <summary>
/// One currency's roll-forward. <c>OpeningPlusMovements</c> is computed from the opening and
/// each movement; <c>Closing</c> is folded on its own from the first event; <c>Balanced</c>
/// says they agree.
/// </summary>
public sealed record StatementSection(
    string Currency,
    BalanceParts Opening,
    IReadOnlyList<StatementMovement> Movements,
    SignedParts MovementsTotal,
    SignedParts OpeningPlusMovements,
    BalanceParts Closing,
    bool Balanced
);

/// <summary>
/// A client's statement for [from, to). The opening is the fold up to OpeningAtSeq, the client's
/// last event recorded before from; the closing up to ClosingAtSeq, its last event recorded
/// before to (<see cref="ClientEventLog"/> says why a moment is a position).
/// </summary>
public sealed record ClientStatement(
    Guid ClientId,
    string From,
    string To,
    long OpeningAtSeq,
    long ClosingAtSeq,
    IReadOnlyList<StatementSection> Currencies
);

/// <summary>
/// GET /api/v1/clients/{clientId}/statement?from=&amp;to=[&amp;currency=]: opening balance,
/// every movement in the period with its event's reference, closing balance and the check
/// that the first plus the second is the third, one section per currency (only the one asked
/// for, with zeros if the client never held it). from and to are RFC 3339, from before to, and
/// to not after the database's clock: a period still open could change after the answer.
/// </summary>
public static class StatementEndpoint
{
    /// <summary>Movements per statement; a longer period must be asked for in parts.</summary>
    public const int MovementsMax = 10_000;

    public static async Task<Results<Ok<ClientStatement>, ProblemHttpResult>> HandleAsync(
        string clientId,
        [AsParameters] StatementQuery query,
        LedgerDatabase database,
        EventTypeRegistry registry,
        CancellationToken cancellationToken
    )
    {
        var parameters = new AuditParameters();
        StatementPeriod? period = Validate(parameters, clientId, query);
        if (period is null)
        {
            return Problems.Invalid(parameters.Error!);
        }
        await using ClientEventLog log = await ClientEventLog.OpenAsync(
            database,
            registry,
            period.ClientId,
            cancellationToken
        );
        if (period.To > log.Now)
        {
            return Problems.Invalid(
                $"to: {Format(period.To)} is after the database's clock "
                    + $"({Format(log.Now)}); a statement covers a period that is over"
            );
        }
        long openingAtSeq = await log.LastSeqBeforeAsync(period.From, cancellationToken);
        long closingAtSeq = await log.LastSeqBeforeAsync(period.To, cancellationToken);
        var opening = new BalanceFold(period.ClientId);
        var closing = new BalanceFold(period.ClientId);
        await foreach (ClientEvent e in log.ReadAsync(0, openingAtSeq, cancellationToken))
        {
            opening.Apply(e);
            closing.Apply(e);
        }
        var movements = new List<(ClientEvent Event, BalanceDelta Delta)>();
        await foreach (
            ClientEvent e in log.ReadAsync(openingAtSeq, closingAtSeq, cancellationToken)
        )
        {
            if (closing.Apply(e) is { } delta)
            {
                if (movements.Count == MovementsMax)
                {
                    return Problems.Invalid(
                        $"to: the period holds more than {MovementsMax} "
                            + "movements; ask for a shorter one"
                    );
                }
                movements.Add((e, delta));
            }
        }
        return TypedResults.Ok(
            new ClientStatement(
                period.ClientId,
                Format(period.From),
                Format(period.To),
                openingAtSeq,
                closingAtSeq,
                Sections(period.Currency, opening.Totals(), movements, closing.Totals())
            )
        );
    }

    /// <summary>The period, or null with the problem in <paramref name="parameters"/>.</summary>
    private static StatementPeriod? Validate(
        AuditParameters parameters,
        string clientId,
        StatementQuery query
    )
    {
        if (!Ids.TryParse(clientId, out Guid id))
        {
            parameters.Fail("clientId", Ids.UuidRule);
        }
        DateTimeOffset? from = parameters.Instant("from", query.From);
        DateTimeOffset? to = parameters.Instant("to", query.To);
        Currency? currency = parameters.Currency("currency", query.Currency);
        if (query.From is null)
        {
            parameters.Fail("from", "is required (an RFC 3339 time)");
        }
        if (query.To is null)
        {
            parameters.Fail("to", "is required (an RFC 3339 time)");
        }
        if (from >= to)
        {
            parameters.Fail("to", "must be after from");
        }
        return parameters.Error is null
            ? new StatementPeriod(id, from!.Value, to!.Value, currency)
            : null;
    }

    private static List<StatementSection> Sections(
        Currency? only,
        SortedDictionary<string, Balance> opening,
        List<(ClientEvent Event, BalanceDelta Delta)> movements,
        SortedDictionary<string, Balance> closing
    )
    {
        // The closing holds every currency the client ever had up to the end of the period.
        IEnumerable<string> currencies = only is { } c ? [c.Code] : closing.Keys;
        return
        [
            .. currencies.Select(code =>
                Section(
                    code,
                    opening.GetValueOrDefault(code) ?? Balance.Empty,
                    [.. movements.Where(m => m.Delta.Key.Currency.Code == code)],
                    closing.GetValueOrDefault(code) ?? Balance.Empty
                )
            ),
        ];
    }

    private static StatementSection Section(
        string currency,
        Balance opening,
        List<(ClientEvent Event, BalanceDelta Delta)> movements,
        Balance closing
    )
    {
        BigInteger available = 0,
            reserved = 0,
            pending = 0;
        foreach ((_, BalanceDelta delta) in movements)
        {
            available += delta.Available;
            reserved += delta.Reserved;
            pending += delta.PendingCredit;
        }
        BigInteger endAvailable = opening.Available.Value + available;
        BigInteger endReserved = opening.Reserved.Value + reserved;
        BigInteger endPending = opening.PendingCredit.Value + pending;
        bool balanced =
            endAvailable == closing.Available.Value
            && endReserved == closing.Reserved.Value
            && endPending == closing.PendingCredit.Value;
        return new StatementSection(
            currency,
            BalanceFold.Parts(opening),
            [.. movements.Select(m => Movement(m.Event, m.Delta))],
            SignedParts.Of(available, reserved, pending),
            SignedParts.Of(endAvailable, endReserved, endPending),
            BalanceFold.Parts(closing),
            balanced
        );
    }

    private static StatementMovement Movement(ClientEvent e, BalanceDelta delta)
    {
        SignedParts parts = SignedParts.Of(delta.Available, delta.Reserved, delta.PendingCredit);
        return new StatementMovement(
            e.Seq,
            e.StreamId,
            e.Version,
            e.Type,
            e.RecordedAt,
            delta.Key.ConnectionId,
            parts.Available,
            parts.Reserved,
            parts.PendingCredit
        );
    }

    /// <summary>The instant as the log writes recorded_at: UTC, microseconds, "Z".</summary>
    private static string Format(DateTimeOffset instant) =>
        instant.UtcDateTime.ToString(
            "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'",
            CultureInfo.InvariantCulture
        );

    private sealed record StatementPeriod(
        Guid ClientId,
        DateTimeOffset From,
        DateTimeOffset To,
        Currency? Currency
    );
}
