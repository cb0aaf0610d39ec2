using System.Text.Json.Nodes;
using Ledger.BitGoSim.Hosting;
using Ledger.BitGoSim.Transfers;

namespace Ledger.BitGoSim.Demo;

/// <summary>A client of the scripted day and what it allocates in the morning.</summary>
public sealed record DemoClient(
    string EnterpriseId,
    string Currency,
    string Allocation,
    string AllocationText
);

/// <summary>One scripted deallocation; LoseResponse drops the partner's first answer.</summary>
public sealed record DemoDeallocation(
    string EnterpriseId,
    string Quantity,
    string AmountText,
    bool LoseResponse,
    string ExpectedStatus
);

public sealed record ConnectedClient(
    DemoClient Client,
    string Token,
    Guid ConnectionId,
    Guid ClientId,
    string PartnersConnectionId,
    HttpAnswer Allocation
);

/// <summary>A deallocation as the client lived it: every attempt's answer, in order.</summary>
public sealed record DeallocationRun(
    int Number,
    DemoDeallocation Step,
    ConnectedClient Client,
    string ClientExternalId,
    IReadOnlyList<HttpAnswer> Attempts
)
{
    public JsonObject? Deallocation => Attempts[^1].Object("deallocation");

    public Guid? Id => Guid.TryParse(HttpAnswer.Text(Deallocation, "id"), out Guid id) ? id : null;

    public string FinalStatus => HttpAnswer.Text(Deallocation, "status") ?? "none";

    public bool AsExpected => FinalStatus == Step.ExpectedStatus;
}

/// <summary>
/// The scripted day: three clients connect and allocate, then deallocate in trade sizes. One
/// deallocation asks for more than the client has (the partner refuses it), and one loses the
/// partner's answer (BitGo says reserved and retriable; the client retries; it clears).
/// </summary>
public sealed class DemoDay(DemoStack stack)
{
    /// <summary>
    /// A client retries a retriable 500 once; the script expects one retry to do.
    /// </summary>
    public const int RetriesMax = 1;

    public static readonly DemoClient[] Clients =
    [
        new("acme-fund", "btc", "200000000", "2 BTC"),
        new("blue-desk", "eth", "10000000000000000000", "10 ETH"),
        new("cobalt-capital", "usdc", "50000000000", "50,000 USDC"),
    ];

    public static readonly DemoDeallocation[] Deallocations =
    [
        new("acme-fund", "25000000", "0.25 BTC", LoseResponse: false, "cleared"),
        new("blue-desk", "3500000000000000000", "3.5 ETH", LoseResponse: false, "cleared"),
        new("cobalt-capital", "12500000000", "12,500 USDC", LoseResponse: true, "cleared"),
        new("acme-fund", "10000000", "0.1 BTC", LoseResponse: false, "cleared"),
        new("blue-desk", "20000000000000000000", "20 ETH", LoseResponse: false, "released"),
        new("cobalt-capital", "1000000000", "1,000 USDC", LoseResponse: false, "cleared"),
    ];

    private readonly SimApiClient api = stack.Clients();

    public async Task<ConnectedClient> ConnectAndAllocateAsync(DemoClient client)
    {
        string token = stack.ClientTokens[client.EnterpriseId];
        HttpAnswer connected = await api.ConnectAsync(
            client.EnterpriseId,
            token,
            $"{client.EnterpriseId}-exchange-account"
        );
        JsonObject connection =
            connected.Object("connection")
            ?? throw new InvalidOperationException(
                $"connect failed: {connected.Status} {connected.Error}"
            );
        Guid connectionId = Guid.Parse(HttpAnswer.Text(connection, "id")!);
        JsonObject body = SimApiClient.TransferBody(
            client.Currency,
            client.Allocation,
            $"{client.EnterpriseId}-a1",
            notes: "morning allocation"
        );
        HttpAnswer allocation = await api.TransferAsync(
            TransferKind.Allocation,
            client.EnterpriseId,
            token,
            connectionId,
            body
        );
        return new ConnectedClient(
            client,
            token,
            connectionId,
            Guid.Parse(HttpAnswer.Text(connection, "clientId")!),
            HttpAnswer.Text(connection, "partnersConnectionId") ?? "-",
            allocation
        );
    }

    public async Task<DeallocationRun> DeallocateAsync(
        ConnectedClient client,
        DemoDeallocation step,
        int number
    )
    {
        string externalId = $"{step.EnterpriseId}-d{number}";
        JsonObject body = SimApiClient.TransferBody(
            client.Client.Currency,
            step.Quantity,
            externalId,
            notes: $"trade {number}"
        );
        stack.Faults().Set(step.LoseResponse ? new SimFaults(DropResponses: 1) : SimFaults.None);
        var attempts = new List<HttpAnswer> { await PostAsync(client, body) };
        stack.Faults().Set(SimFaults.None);
        // A client retries what BitGo calls retriable, with the same clientExternalId and body.
        while (attempts.Count <= RetriesMax && IsRetriable(attempts[^1]))
        {
            attempts.Add(await PostAsync(client, body));
        }
        return new DeallocationRun(number, step, client, externalId, attempts);
    }

    private Task<HttpAnswer> PostAsync(ConnectedClient client, JsonObject body) =>
        api.TransferAsync(
            TransferKind.Deallocation,
            client.Client.EnterpriseId,
            client.Token,
            client.ConnectionId,
            body
        );

    private static bool IsRetriable(HttpAnswer answer) =>
        answer.Status == StatusCodes.Status500InternalServerError
        && answer.Object("deallocation")?["retriable"] is JsonValue retriable
        && retriable.TryGetValue(out bool value)
        && value;
}
