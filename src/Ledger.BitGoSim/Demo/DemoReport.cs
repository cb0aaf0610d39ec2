using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Ledger.BitGoSim.Balances;
using Ledger.BitGoSim.Partner;
using Ledger.BitGoSim.Transfers;

namespace Ledger.BitGoSim.Demo;

/// <summary>
/// Prints the day as a newcomer reads it: each deallocation as BitGo lived it (the client's
/// requests, BitGo's calls to the partner, BitGo's answers) and as the partner's ledger
/// recorded it, then each client's balances on both sides. Ids show their last 8 characters.
/// </summary>
public sealed partial class DemoReport(TextWriter output, DemoStack stack, DateTimeOffset dayStart)
{
    private const int ShortIdLength = 8;

    public void Header()
    {
        output.WriteLine("Ledger demo: a BitGo simulator and the partner's ledger, over real HTTP");
        output.WriteLine($"  PostgreSQL  throwaway cluster on 127.0.0.1:{stack.PostgresPort}");
        output.WriteLine($"  ledger      {stack.LedgerUrl}  (trusts the simulator's new RSA key)");
        output.WriteLine(
            $"  simulator   {stack.SimulatorUrl}  " + "(signs each call: RS256, fresh jti, 30 s)"
        );
        output.WriteLine(
            "  times are seconds since the day began; ids show their last 8 characters"
        );
        Section("Morning: three clients connect and allocate");
    }

    public void Connected(ConnectedClient c)
    {
        JsonObject? allocation = c.Allocation.Object("allocation");
        output.WriteLine(
            $"  {c.Client.EnterpriseId, -15} connection {Short(c.ConnectionId)} "
                + $"(partner's {Short(c.PartnersConnectionId)}), "
                + $"allocates {c.Client.AllocationText, -11} -> {c.Allocation.Status} "
                + HttpAnswer.Text(allocation, "status")
        );
    }

    public async Task DeallocationAsync(DeallocationRun run)
    {
        DemoClient client = run.Client.Client;
        output.WriteLine();
        output.WriteLine(
            $"#{run.Number} {client.EnterpriseId} deallocates {run.Step.AmountText} "
                + $"({run.Step.Quantity} {client.Currency}), clientExternalId {run.ClientExternalId}"
        );
        output.WriteLine("  as BitGo saw it");
        TransferRecord? record = run.Id is { } id ? stack.Store().Find(id) : null;
        foreach (TimelineEntry entry in record?.Timeline ?? [])
        {
            Line(entry.At, entry.Actor, ShortenIds(entry.Text));
        }
        if (run.Id is { } holdId)
        {
            await PartnerViewAsync(holdId);
        }
    }

    public void Section(string title)
    {
        output.WriteLine();
        output.WriteLine(title);
    }

    /// <summary>Per currency: the ledger's parts, BitGo's parts, and whether they agree.</summary>
    public async Task<bool> BalancesAsync(ConnectedClient c)
    {
        using HttpClient queries = stack.LedgerQueries();
        JsonObject ledger =
            await queries.GetFromJsonAsync<JsonObject>($"/api/v1/clients/{c.ClientId}/balances")
            ?? throw new InvalidOperationException("the ledger answered no balances");
        BalancesView bitgo = BalancesApi.Of(stack.Store(), c.Client.EnterpriseId);
        bool all = true;
        foreach (ReconciledLine line in Reconciliation.Compare(ledger, bitgo))
        {
            all &= line.Matches;
            output.WriteLine(
                $"  {c.Client.EnterpriseId, -15} {line.Currency, -5} ledger: available "
                    + $"{line.LedgerAvailable}, reserved {line.LedgerReserved}, "
                    + $"pending credit {line.LedgerPendingCredit}"
            );
            output.WriteLine(
                $"  {"", -15} {"", -5} BitGo:  available {line.BitGoAvailable}, "
                    + $"held {line.BitGoHeld}  -> {(line.Matches ? "reconciled" : "MISMATCH")}"
            );
        }
        return all;
    }

    /// <summary>The partner's answer to BitGo's status call, and its own status row.</summary>
    private async Task PartnerViewAsync(Guid id)
    {
        string path = TransferKind.Deallocation.PartnerItemPath(id);
        PartnerReply status = await stack
            .Partner()
            .SendAsync(HttpMethod.Get, path, null, "demo", CancellationToken.None);
        using HttpClient queries = stack.LedgerQueries();
        JsonObject? row = await queries.GetFromJsonAsync<JsonObject>($"/api/v1/deallocations/{id}");
        output.WriteLine($"  as the partner saw it (GET {ShortenIds(path)})");
        if (status.Body is not { } body)
        {
            output.WriteLine($"    no hold at the partner ({status.Note})");
            return;
        }
        string reason = HttpAnswer.Text(body, "reason") is { } r ? $": {r}" : "";
        Line(
            Time(body, "createdAt"),
            "partner",
            "opened the hold, partnerDeallocationId "
                + Short(HttpAnswer.Text(body, "partnerDeallocationId"))
        );
        Line(
            Time(body, "updatedAt"),
            "partner",
            $"now {HttpAnswer.Text(body, "status")}{reason}; "
                + $"{row?["version"]} events in its stream"
        );
    }

    private void Line(DateTimeOffset at, string actor, string text) =>
        output.WriteLine($"    {Offset(at)}  {actor, -14}  {text}");

    private string Offset(DateTimeOffset at) =>
        "+" + (at - dayStart).TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + "s";

    private static DateTimeOffset Time(JsonObject body, string member) =>
        DateTimeOffset.Parse(HttpAnswer.Text(body, member)!, CultureInfo.InvariantCulture);

    private static string Short(Guid id) => Short(id.ToString());

    /// <summary>
    /// The last characters: the partner's ids are UUIDv7, whose first characters are a
    /// timestamp shared by every id of the day, so only the random tail tells them apart.
    /// </summary>
    private static string Short(string? id) =>
        id is { Length: > ShortIdLength } ? ".." + id[^ShortIdLength..] : id ?? "-";

    private static string ShortenIds(string text) =>
        Uuid().Replace(text, match => Short(match.Value));

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Uuid();
}
