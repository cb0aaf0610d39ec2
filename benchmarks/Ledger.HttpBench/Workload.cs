using System.Text;
using System.Text.Json.Nodes;

namespace Ledger.HttpBench;

/// <summary>What a request does; each has its own latency statistics.</summary>
public enum Operation
{
    Reserve,
    Clear,
    Release,
    BalanceQuery,
}

/// <summary>A funded client connection, as the ledger answered its activation.</summary>
public sealed record BenchAccount(
    Guid ClientId,
    Guid ConnectionId,
    string PartnersConnectionId,
    string PartnerClientId
);

/// <summary>
/// One HTTP request, prepared in full before the clock starts (body bytes and signed token),
/// with room for its outcome. Exactly one client loop runs a step, so its outcome fields need
/// no lock.
/// </summary>
public sealed class Step(
    Operation operation,
    HttpMethod method,
    string path,
    byte[] body,
    Guid holdId,
    long quantity,
    BenchAccount account
)
{
    public Operation Operation { get; } = operation;

    public HttpMethod Method { get; } = method;

    public string Path { get; } = path;

    public byte[] Body { get; } = body;

    public Guid HoldId { get; } = holdId;

    public long Quantity { get; } = quantity;

    public BenchAccount Account { get; } = account;

    public string? Token { get; set; }

    /// <summary>Keep the answer's body, to compare a retry's answer with the original's.</summary>
    public bool KeepAnswer { get; init; }

    public bool Done { get; set; }

    /// <summary>The HTTP status, or 0 when the request failed without an answer.</summary>
    public int Status { get; set; }

    public bool Rejected { get; set; }

    public string? Answer { get; set; }

    public long LatencyTicks { get; set; }

    public bool Succeeded => Done && Status is >= 200 and < 300;
}

/// <summary>One client's unit of work: a reservation, or a reservation and its settlement.</summary>
public sealed record WorkUnit(Step[] Steps);

/// <summary>Builds the scenarios' requests (issue 8), deterministic for a given seed.</summary>
public sealed class Workload(IReadOnlyList<BenchAccount> accounts, int seed)
{
    /// <summary>The share of scenario 4's requests that repeat an earlier request exactly.</summary>
    public const int DuplicatePercent = 20;

    /// <summary>The share of scenario 2's reservations that are released instead of cleared.</summary>
    public const int ReleasePercent = 10;

    private readonly Random _random = new(seed);

    public WorkUnit[] Build(int scenario, int count, int clients) =>
        scenario switch
        {
            1 or 5 => [.. Enumerable.Range(0, count).Select(_ => Single(Reserve(accounts.Count)))],
            2 => [.. Enumerable.Range(0, count).Select(Lifecycle)],
            3 =>
            [
                .. Enumerable
                    .Range(0, count)
                    .Select(_ => Single(Reserve(BenchOptions.HotAccountCount))),
            ],
            4 => Retries(count, clients),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

    public string BalancePath() =>
        $"/api/v1/clients/{accounts[_random.Next(accounts.Count)].ClientId}/balances";

    public static byte[] HoldBody(string idField, Guid id, BenchAccount account, long quantity) =>
        Encoding.UTF8.GetBytes(
            new JsonObject
            {
                [idField] = id.ToString(),
                ["amount"] = new JsonObject
                {
                    ["currency"] = "btc",
                    ["quantity"] = quantity.ToString(),
                },
                ["clientId"] = account.ClientId.ToString(),
                ["connectionId"] = account.ConnectionId.ToString(),
                ["partnersConnectionId"] = account.PartnersConnectionId,
                ["partnerClientId"] = account.PartnerClientId,
            }.ToJsonString()
        );

    private static WorkUnit Single(Step step) => new([step]);

    private Step Reserve(int accountsUsed, bool keepAnswer = false)
    {
        BenchAccount account = accounts[_random.Next(accountsUsed)];
        Guid id = Guid.NewGuid();
        long quantity = _random.Next(1, BenchOptions.ReserveQuantityMax + 1);
        return new Step(
            Operation.Reserve,
            HttpMethod.Post,
            "/bitgo/v1/deallocations",
            HoldBody("deallocationId", id, account, quantity),
            id,
            quantity,
            account
        )
        {
            KeepAnswer = keepAnswer,
        };
    }

    private WorkUnit Lifecycle(int index)
    {
        Step reserve = Reserve(accounts.Count);
        bool release = index % 100 < ReleasePercent;
        string settlement = release ? "release" : "clear";
        var settle = new Step(
            release ? Operation.Release : Operation.Clear,
            HttpMethod.Put,
            $"/bitgo/v1/deallocation/{reserve.HoldId}/{settlement}",
            [],
            reserve.HoldId,
            reserve.Quantity,
            reserve.Account
        );
        return new WorkUnit([reserve, settle]);
    }

    /// <summary>
    /// Fresh reservations, with a fifth of the requests sent again byte for byte under a new
    /// token, as BitGo retries: each repeats one of the last 2C requests, so the original may
    /// still be in flight or long answered.
    /// </summary>
    private WorkUnit[] Retries(int count, int clients)
    {
        var units = new WorkUnit[count];
        for (int i = 0; i < count; i++)
        {
            bool duplicate = i > 0 && _random.Next(100) < DuplicatePercent;
            if (!duplicate)
            {
                units[i] = Single(Reserve(accounts.Count, keepAnswer: true));
                continue;
            }
            Step original = units[Math.Max(0, i - _random.Next(1, (2 * clients) + 1))].Steps[0];
            units[i] = Single(
                new Step(
                    Operation.Reserve,
                    HttpMethod.Post,
                    original.Path,
                    original.Body,
                    original.HoldId,
                    original.Quantity,
                    original.Account
                )
                {
                    KeepAnswer = true,
                }
            );
        }
        return units;
    }
}
