using System.Numerics;
using Ledger.Api.Auditors;
using Ledger.Api.Hosting;
using Ledger.Api.Security;
using Ledger.Domain;
using Ledger.EventStore;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace Ledger.Api.Balances;

/// <summary>The three parts of a balance, each a string of digits (ADR 0005).</summary>
public sealed record BalanceParts(string Available, string Reserved, string PendingCredit);

/// <summary>One connection's balances, laid out as a BitGo networkBalances entry.</summary>
public sealed record NetworkBalance(
    Guid ClientId,
    Guid? PartnerId,
    string? PartnersConnectionId,
    IReadOnlyDictionary<string, BalanceParts> Balances
);

/// <summary>
/// A client's balances: per currency summed over its connections, and per connection, the way
/// BitGo's GET /partners/balances shows them, so a partner can reconcile one against the other.
/// </summary>
public sealed record ClientBalances(
    Guid ClientId,
    IReadOnlyDictionary<string, BalanceParts> Balances,
    IReadOnlyDictionary<string, NetworkBalance> NetworkBalances
);

/// <summary>GET /api/v1/clients/{clientId}/balances, read from ledger.balances.</summary>
public static class BalanceQueries
{
    // Both sides in one statement (one snapshot), joined here: every balance row shows even if
    // its connection row were missing, and every connection shows even before it holds funds.
    // Two index scans appended; the FULL JOIN this replaces built a hash table and sorted for
    // each query, at twice the execution time (docs/benchmarks.md, "Sixth round").
    private const string BalancesSql = """
        SELECT connection_id, NULL::uuid, NULL::text, currency, available, reserved, pending_credit
        FROM ledger.balances WHERE client_id = $1
        UNION ALL
        SELECT connection_id, partner_id, partners_connection_id, NULL, NULL, NULL, NULL
        FROM ledger.connections WHERE client_id = $1
        """;

    public static RouteGroupBuilder MapBalanceQueries(this RouteGroupBuilder query)
    {
        query
            .MapGet("/clients/{clientId}/balances", HandleAsync)
            .WithName("GetClientBalances")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        return query;
    }

    /// <summary>
    /// A client without funds is not an error: it gets 200 with empty maps. With asOf or atSeq
    /// the answer is the past, rebuilt from the log (issue 5), which only an auditor may ask
    /// for; it is the same computation as GET .../balances/as-of.
    /// </summary>
    public static async Task<Results<Ok<ClientBalances>, ProblemHttpResult>> HandleAsync(
        string clientId,
        [FromQuery] string? asOf,
        [FromQuery] string? atSeq,
        LedgerDatabase database,
        EventTypeRegistry registry,
        HttpContext http,
        CancellationToken cancellationToken
    )
    {
        if (asOf is not null || atSeq is not null)
        {
            return ApiKeyFilter.HasRole(http, ApiRole.Auditor)
                ? await BalancesAsOfEndpoint.HandleAsync(
                    clientId,
                    new AsOfQuery(asOf, atSeq),
                    database,
                    registry,
                    http.Response,
                    cancellationToken
                )
                : Problems.Create(
                    StatusCodes.Status403Forbidden,
                    "Forbidden",
                    "authorization: role auditor is required for asOf or atSeq"
                );
        }
        if (!Ids.TryParse(clientId, out Guid id))
        {
            return Problems.Invalid("clientId: " + Ids.UuidRule);
        }
        var totals = new SortedDictionary<string, Sums>(StringComparer.Ordinal);
        var connections = new SortedDictionary<string, ConnectionSums>(StringComparer.Ordinal);
        await using NpgsqlCommand command = database.Queries.CreateCommand(BalancesSql);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            AddRow(reader, totals, connections);
        }
        return TypedResults.Ok(
            new ClientBalances(
                id,
                Freeze(totals),
                Freeze(
                    connections,
                    c => new NetworkBalance(
                        id,
                        c.PartnerId,
                        c.PartnersConnectionId,
                        Freeze(c.Currencies)
                    )
                )
            )
        );
    }

    private static void AddRow(
        NpgsqlDataReader reader,
        SortedDictionary<string, Sums> totals,
        SortedDictionary<string, ConnectionSums> connections
    )
    {
        string connectionId = reader.GetGuid(0).ToString("D");
        if (!connections.TryGetValue(connectionId, out ConnectionSums? connection))
        {
            connection = new ConnectionSums();
            connections.Add(connectionId, connection);
        }
        if (reader.IsDBNull(3))
        {
            // The connection's own row; a connection that never held funds has only this one.
            connection.PartnerId = reader.GetGuid(1);
            connection.PartnersConnectionId = reader.GetString(2);
            return;
        }
        // Quantity.From throws on a negative part: the CHECK constraints make that a bug.
        var parts = new Sums(Read(reader, 4), Read(reader, 5), Read(reader, 6));
        string currency = reader.GetString(3);
        if (!connection.Currencies.TryAdd(currency, parts))
        {
            throw new InvariantViolationException(
                $"two balance rows for connection {connectionId} and currency {currency}"
            );
        }
        totals[currency] = totals.TryGetValue(currency, out Sums? total)
            ? total.Plus(parts)
            : parts;
    }

    private static Quantity Read(NpgsqlDataReader reader, int ordinal) =>
        Quantity.From(reader.GetFieldValue<BigInteger>(ordinal));

    private static IReadOnlyDictionary<string, BalanceParts> Freeze(
        SortedDictionary<string, Sums> sums
    ) =>
        Freeze(
            sums,
            s => new BalanceParts(
                s.Available.ToString(),
                s.Reserved.ToString(),
                s.PendingCredit.ToString()
            )
        );

    private static IReadOnlyDictionary<string, TOut> Freeze<TIn, TOut>(
        SortedDictionary<string, TIn> map,
        Func<TIn, TOut> convert
    )
    {
        var frozen = new SortedDictionary<string, TOut>(StringComparer.Ordinal);
        foreach ((string key, TIn value) in map)
        {
            frozen.Add(key, convert(value));
        }
        return frozen;
    }

    private sealed record Sums(Quantity Available, Quantity Reserved, Quantity PendingCredit)
    {
        public Sums Plus(Sums other) =>
            new(
                Available + other.Available,
                Reserved + other.Reserved,
                PendingCredit + other.PendingCredit
            );
    }

    private sealed class ConnectionSums
    {
        public Guid? PartnerId { get; set; }

        public string? PartnersConnectionId { get; set; }

        public SortedDictionary<string, Sums> Currencies { get; } = new(StringComparer.Ordinal);
    }
}
