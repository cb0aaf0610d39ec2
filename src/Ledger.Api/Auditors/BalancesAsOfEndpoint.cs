using System.Globalization;
using Ledger.Api.Balances;
using Ledger.Api.Hosting;
using Ledger.EventStore;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ledger.Api.Auditors;

/// <summary>The moment asked about: exactly one of the two, as text to check strictly.</summary>
public sealed record AsOfQuery(
    [property: FromQuery(Name = "asOf")] string? AsOf,
    [property: FromQuery(Name = "atSeq")] string? AtSeq
);

/// <summary>
/// GET /api/v1/clients/{clientId}/balances/as-of?asOf=&lt;RFC 3339&gt; | ?atSeq=&lt;seq&gt;: a
/// client's balances as they stood at that moment, rebuilt from the log (never from
/// ledger.balances) and answered in the live view's shape, so the two compare field for field.
/// <para>
/// atSeq folds the client's events with seq &lt;= atSeq. asOf folds them up to the client's
/// last event recorded at or before asOf (<see cref="ClientEventLog"/> says why a moment is a
/// position). The answer header <see cref="PositionHeader"/> names the position folded to. A
/// moment after the log's present (asOf after the database's clock, atSeq after its last seq)
/// is 400: events could still be appended before it, and an audit answer must not change.
/// </para>
/// </summary>
public static class BalancesAsOfEndpoint
{
    /// <summary>The answer is the fold of the client's events with seq at most this.</summary>
    public const string PositionHeader = "Ledger-At-Seq";

    /// <summary>PostgreSQL's resolution: "at or before t" is "before t + 1 µs".</summary>
    private static readonly TimeSpan Microsecond = TimeSpan.FromTicks(10);

    public static async Task<Results<Ok<ClientBalances>, ProblemHttpResult>> HandleAsync(
        string clientId,
        [AsParameters] AsOfQuery query,
        LedgerDatabase database,
        EventTypeRegistry registry,
        HttpResponse response,
        CancellationToken cancellationToken
    )
    {
        var parameters = new AuditParameters();
        if (!Ids.TryParse(clientId, out Guid id))
        {
            parameters.Fail("clientId", Ids.UuidRule);
        }
        DateTimeOffset? asOf = parameters.Instant("asOf", query.AsOf);
        long? atSeq = parameters.Seq("atSeq", query.AtSeq);
        if ((query.AsOf is null) == (query.AtSeq is null))
        {
            parameters.Fail("asOf", "give exactly one of asOf (an RFC 3339 time) and atSeq");
        }
        if (parameters.Error is not null)
        {
            return Problems.Invalid(parameters.Error);
        }
        await using ClientEventLog log = await ClientEventLog.OpenAsync(
            database,
            registry,
            id,
            cancellationToken
        );
        if (Future(log, asOf, atSeq) is { } future)
        {
            return Problems.Invalid(future);
        }
        long position =
            atSeq ?? await log.LastSeqBeforeAsync(asOf!.Value + Microsecond, cancellationToken);
        var fold = new BalanceFold(id);
        await foreach (ClientEvent e in log.ReadAsync(0, position, cancellationToken))
        {
            fold.Apply(e);
        }
        response.Headers[PositionHeader] = position.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Ok(fold.ToAnswer());
    }

    /// <summary>Why the moment is after the log's present, or null when it is not.</summary>
    private static string? Future(ClientEventLog log, DateTimeOffset? asOf, long? atSeq)
    {
        if (asOf > log.Now)
        {
            return $"asOf: {asOf:O} is after the database's clock ({log.Now:O})";
        }
        if (atSeq > log.LastSeq)
        {
            return $"atSeq: {atSeq} is after the log's last seq ({log.LastSeq})";
        }
        return null;
    }
}
