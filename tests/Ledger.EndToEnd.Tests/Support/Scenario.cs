using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.BitGoSim.Balances;
using Ledger.BitGoSim.Demo;
using Ledger.BitGoSim.Hosting;
using Ledger.BitGoSim.Transfers;
using Npgsql;

namespace Ledger.EndToEnd.Tests.Support;

/// <summary>A connection the simulator activated at the ledger.</summary>
public sealed record TestConnection(
    TestEnterprise Enterprise,
    Guid ConnectionId,
    Guid ClientId,
    string PartnersConnectionId
);

/// <summary>
/// The steps and reads the scenarios share: a client's calls, the ledger's state.
/// </summary>
public static class Scenario
{
    public static async Task<TestConnection> ConnectAsync(this EndToEndFixture f)
    {
        TestEnterprise enterprise = f.NextEnterprise();
        HttpAnswer answer = await f.Clients()
            .ConnectAsync(enterprise.Id, enterprise.Token, $"account-of-{enterprise.Id}");
        Assert.True(answer.Status == 200, $"connect: {answer.Status} {answer.Body}");
        JsonObject connection = answer.Object("connection")!;
        return new TestConnection(
            enterprise,
            Guid.Parse(HttpAnswer.Text(connection, "id")!),
            Guid.Parse(HttpAnswer.Text(connection, "clientId")!),
            HttpAnswer.Text(connection, "partnersConnectionId")!
        );
    }

    /// <summary>Allocates through BitGo, so the quantity is available at the ledger.</summary>
    public static async Task FundAsync(this EndToEndFixture f, TestConnection c, string quantity)
    {
        HttpAnswer answer = await f.TransferAsync(
            TransferKind.Allocation,
            c,
            Body(quantity, $"fund-{Guid.NewGuid():N}")
        );
        answer.AssertTransfer(200, "allocation", "cleared", retriable: false);
    }

    public static Task<HttpAnswer> DeallocateAsync(
        this EndToEndFixture f,
        TestConnection c,
        JsonObject body
    ) => f.TransferAsync(TransferKind.Deallocation, c, body);

    public static Task<HttpAnswer> TransferAsync(
        this EndToEndFixture f,
        TransferKind kind,
        TestConnection c,
        JsonObject body
    ) => f.Clients().TransferAsync(kind, c.Enterprise.Id, c.Enterprise.Token, c.ConnectionId, body);

    /// <summary>Seed 000's body for a quantity of btc.</summary>
    public static JsonObject Body(string quantity, string clientExternalId) =>
        SimApiClient.TransferBody("btc", quantity, clientExternalId, notes: "e2e");

    /// <summary>Seed 000's shape: the status code, the object's status and retriable.</summary>
    public static JsonObject AssertTransfer(
        this HttpAnswer answer,
        int status,
        string kind,
        string bitgoStatus,
        bool retriable
    )
    {
        Assert.True(
            answer.Status == status,
            $"expected {status}, got {answer.Status}: {answer.Body}"
        );
        JsonObject transfer =
            answer.Object(kind) ?? throw new Xunit.Sdk.XunitException($"no {kind}: {answer.Body}");
        Assert.Equal(bitgoStatus, HttpAnswer.Text(transfer, "status"));
        Assert.Equal(retriable, transfer["retriable"]!.GetValue<bool>());
        Assert.Equal(status == 200, answer.Error is null);
        return transfer;
    }

    public static JsonObject AssertCleared(this HttpAnswer answer, string kind = "deallocation") =>
        answer.AssertTransfer(200, kind, "cleared", retriable: false);

    public static Guid IdOf(JsonObject transfer) => Guid.Parse(HttpAnswer.Text(transfer, "id")!);

    /// <summary>
    /// The ledger's balance row, "available/reserved/pendingCredit"; none is "0/0/0".
    /// </summary>
    public static async Task<string> BalanceAsync(this EndToEndFixture f, TestConnection c) =>
        await f.ScalarAsync<string>(
            """
            SELECT available::text || '/' || reserved::text || '/' || pending_credit::text
            FROM ledger.balances WHERE client_id = $1 AND connection_id = $2 AND currency = 'btc'
            """,
            c.ClientId,
            c.ConnectionId
        ) ?? "0/0/0";

    /// <summary>
    /// The event types of one stream in version order; "" when there is no stream.
    /// </summary>
    public static async Task<string> StreamAsync(this EndToEndFixture f, Guid streamId) =>
        await f.ScalarAsync<string>(
            """
            SELECT string_agg(type, ',' ORDER BY version) FROM ledger.events WHERE stream_id = $1
            """,
            streamId
        ) ?? "";

    public static async Task<long> CountEventsAsync(this EndToEndFixture f) =>
        await f.ScalarAsync<long>("SELECT count(*) FROM ledger.events");

    /// <summary>Tokens the ledger accepted: one per call that reached it.</summary>
    public static async Task<long> CountSeenTokensAsync(this EndToEndFixture f) =>
        await f.ScalarAsync<long>("SELECT count(*) FROM ledger.seen_jtis");

    public static async Task<long> CountDeallocationsAsync(
        this EndToEndFixture f,
        TestConnection c
    ) =>
        await f.ScalarAsync<long>(
            """
            SELECT count(*) FROM ledger.hold_status
            WHERE connection_id = $1 AND kind = 'deallocation'
            """,
            c.ConnectionId
        );

    public static async Task<long> CountConnectionsAsync(
        this EndToEndFixture f,
        TestConnection c
    ) =>
        await f.ScalarAsync<long>(
            "SELECT count(*) FROM ledger.connections WHERE client_id = $1",
            c.ClientId
        );

    /// <summary>BitGo's partnerExternalId is the ledger's reference for the same hold.</summary>
    public static async Task AssertPartnerReferenceAsync(
        this EndToEndFixture f,
        JsonObject transfer
    )
    {
        string? reference = await f.ScalarAsync<string>(
            "SELECT partner_reference FROM ledger.hold_status WHERE id = $1",
            IdOf(transfer)
        );
        Assert.NotNull(reference);
        Assert.Equal(reference, HttpAnswer.Text(transfer, "partnerExternalId"));
    }

    /// <summary>
    /// BitGo's balance view (GET .../clients/balances, over HTTP) agrees with the ledger's
    /// (GET /api/v1/clients/{clientId}/balances) on every connection and currency.
    /// </summary>
    public static async Task AssertReconciledAsync(this EndToEndFixture f, TestConnection c)
    {
        HttpAnswer bitgo = await f.Clients().BalancesAsync(c.Enterprise.Id, c.Enterprise.Token);
        Assert.Equal(200, bitgo.Status);
        BalancesView view = bitgo.Body.Deserialize<BalancesView>(SimJson.Options)!;
        using HttpClient queries = f.LedgerQueries();
        JsonObject ledger = (
            await queries.GetFromJsonAsync<JsonObject>($"/api/v1/clients/{c.ClientId}/balances")
        )!;
        IReadOnlyList<ReconciledLine> lines = Reconciliation.Compare(ledger, view);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.True(line.Matches, $"not reconciled: {line}"));
    }

    /// <summary>
    /// A loopback URL nothing listens on: a port bound once by us, then released.
    /// </summary>
    public static Uri ClosedLoopbackUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }

    private static async Task<T?> ScalarAsync<T>(
        this EndToEndFixture f,
        string sql,
        params object[] parameters
    )
    {
        await using var connection = new NpgsqlConnection(f.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (object p in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }
        object? value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }
}
