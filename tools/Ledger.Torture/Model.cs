using System.Collections.Concurrent;
using System.Numerics;

namespace Ledger.Torture;

/// <summary>A connection the harness activated, with the partner's ids from the answer.</summary>
public sealed record HarnessConnection(
    Guid ClientId,
    Guid ConnectionId,
    string PartnersConnectionId,
    string PartnerClientId
);

public enum HoldKind
{
    Allocation,
    Deallocation,
}

public enum HoldState
{
    Reserved,
    Rejected,
    Cleared,
    Released,
}

/// <summary>
/// What the harness expects of one hold. Each hold belongs to one worker, and each balance
/// to one worker, so the worker can predict every answer exactly.
/// </summary>
public sealed class HoldModel(
    Guid id,
    HoldKind kind,
    HarnessConnection connection,
    string currency,
    BigInteger quantity,
    string openBody
)
{
    public Guid Id { get; } = id;

    public HoldKind Kind { get; } = kind;

    public HarnessConnection Connection { get; } = connection;

    public string Currency { get; } = currency;

    public BigInteger Quantity { get; } = quantity;

    /// <summary>The POST body, sent again byte for byte on every retry.</summary>
    public string OpenBody { get; } = openBody;

    public HoldState State { get; set; }

    /// <summary>The answer to the POST that opened it.</summary>
    public string OpenAnswer { get; set; } = "";

    /// <summary>The answer to the clear or release that settled it, or to its refusal.</summary>
    public string SettleAnswer { get; set; } = "";

    public string Noun => Kind == HoldKind.Allocation ? "allocation" : "deallocation";

    public string IdField => Noun + "Id";

    public string OpenPath => $"/bitgo/v1/{Noun}s";

    public string SettlePath(bool clear) =>
        $"/bitgo/v1/{Noun}/{Id}/{(clear ? "clear" : "release")}";

    /// <summary>The event types its stream must hold, in order.</summary>
    public IReadOnlyList<string> ExpectedEventTypes =>
        (Kind, State) switch
        {
            (_, HoldState.Rejected) => [Noun + "_requested", Noun + "_rejected"],
            (_, HoldState.Reserved) => [Noun + "_requested", Noun + "_reserved"],
            (_, HoldState.Cleared) => [Noun + "_requested", Noun + "_reserved", Noun + "_cleared"],
            (_, HoldState.Released) =>
            [
                Noun + "_requested",
                Noun + "_reserved",
                Noun + "_released",
            ],
            _ => throw new InvalidOperationException($"unknown state {State}"),
        };
}

/// <summary>The three parts of one balance, as the harness expects them.</summary>
public sealed class BalanceModel
{
    public BigInteger Available { get; set; }

    public BigInteger Reserved { get; set; }

    public BigInteger PendingCredit { get; set; }

    public override string ToString() =>
        $"available {Available}, reserved {Reserved}, pending {PendingCredit}";
}

/// <summary>A balance's key: the harness gives every connection its own client.</summary>
public sealed record BalanceKey(Guid ConnectionId, string Currency);

/// <summary>A definitive answer the harness got, to replay at the end.</summary>
public sealed record Acknowledgement(HarnessRequest Request, HarnessAnswer Answer);

/// <summary>
/// Balances that every worker uses at once, so that deallocations from different workers race
/// for the same funds. No worker can predict a refusal here; the answers decide, and the end
/// checks compare what they add up to with the view and the log. Updates lock the balance.
/// </summary>
public sealed class SharedBalances(IReadOnlyList<HarnessConnection> connections)
{
    private readonly ConcurrentDictionary<BalanceKey, BalanceModel> _balances = new();
    private readonly HashSet<Guid> _ids = [.. connections.Select(c => c.ConnectionId)];

    public IReadOnlyList<HarnessConnection> Connections => connections;

    public IReadOnlyDictionary<BalanceKey, BalanceModel> Balances => _balances;

    public bool Holds(Guid connectionId) => _ids.Contains(connectionId);

    public BalanceModel Of(BalanceKey key) => _balances.GetOrAdd(key, _ => new BalanceModel());
}

/// <summary>A request that got no definitive answer within the harness's bound.</summary>
public sealed class NoAnswerException(HarnessRequest request, int seconds)
    : Exception($"no definitive answer within {seconds} s to {request}")
{
    public HarnessRequest Request => request;
}
