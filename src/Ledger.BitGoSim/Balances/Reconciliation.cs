using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;

namespace Ledger.BitGoSim.Balances;

/// <summary>
/// One connection and currency, as the ledger and as BitGo see it. They agree when BitGo's
/// available is the ledger's available and BitGo's held is what the ledger holds on the way
/// in or out: reserved plus pending credit.
/// </summary>
public sealed record ReconciledLine(
    string ConnectionId,
    string Currency,
    BigInteger LedgerAvailable,
    BigInteger LedgerReserved,
    BigInteger LedgerPendingCredit,
    BigInteger BitGoAvailable,
    BigInteger BitGoHeld
)
{
    public bool Matches =>
        LedgerAvailable == BitGoAvailable && LedgerReserved + LedgerPendingCredit == BitGoHeld;
}

/// <summary>
/// Compares the ledger's GET /api/v1/clients/{clientId}/balances with BitGo's balance view,
/// line by line over the union of both sides; a line one side lacks counts as zero there.
/// </summary>
public static class Reconciliation
{
    public static IReadOnlyList<ReconciledLine> Compare(
        JsonObject ledgerBalances,
        BalancesView bitgo
    )
    {
        var keys = new SortedSet<(string Connection, string Currency)>();
        JsonObject ledgerNetwork = ledgerBalances["networkBalances"] as JsonObject ?? [];
        foreach ((string connection, JsonNode? entry) in ledgerNetwork)
        {
            foreach ((string currency, _) in entry?["balances"] as JsonObject ?? [])
            {
                keys.Add((connection, currency));
            }
        }
        foreach ((string connection, NetworkBalance entry) in bitgo.NetworkBalances)
        {
            foreach (string currency in entry.Balances.Keys)
            {
                keys.Add((connection, currency));
            }
        }
        return [.. keys.Select(key => Line(key.Connection, key.Currency, ledgerNetwork, bitgo))];
    }

    private static ReconciledLine Line(
        string connection,
        string currency,
        JsonObject ledgerNetwork,
        BalancesView bitgo
    )
    {
        JsonNode? ledger = ledgerNetwork[connection]?["balances"]?[currency];
        HeldBalance? seen = bitgo
            .NetworkBalances.GetValueOrDefault(connection)
            ?.Balances.GetValueOrDefault(currency);
        return new ReconciledLine(
            connection,
            currency,
            Number(ledger?["available"]),
            Number(ledger?["reserved"]),
            Number(ledger?["pendingCredit"]),
            Number(seen?.Available),
            Number(seen?.Held)
        );
    }

    private static BigInteger Number(JsonNode? node) =>
        Number(node is JsonValue value && value.TryGetValue(out string? text) ? text : null);

    private static BigInteger Number(string? text) =>
        text is null
            ? BigInteger.Zero
            : BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}
