using Ledger.Domain.Balances;
using Ledger.Domain.Connections;
using Ledger.Domain.Holds;

namespace Ledger.Domain.Tests.Model;

/// <summary>What the ledger answered to one operation, as far as the property cares.</summary>
internal abstract record CallOutcome
{
    public sealed record Opened(Hold Hold) : CallOutcome;

    public sealed record Repeated(Hold Hold) : CallOutcome;

    public sealed record Settled(Hold Hold) : CallOutcome;

    public sealed record AlreadyDone(Hold Hold) : CallOutcome;

    public sealed record Conflict(string Detail) : CallOutcome;

    public sealed record NotFound : CallOutcome;

    /// <summary>A retry with no earlier open to repeat.</summary>
    public sealed record NothingToRetry : CallOutcome;
}

/// <summary>
/// An in-memory ledger that does what HoldHandlers does, with the store replaced by lists and
/// the balance projection by <see cref="BalanceEffects"/> and <see cref="Balance.Apply"/>.
/// Every decision comes from the domain's pure functions; the model only routes and stores.
/// The kinds and the effect table are parameters so that a test can plant a bug and show the
/// property catches it.
/// </summary>
internal sealed class LedgerModel(
    HoldKind allocation,
    HoldKind deallocation,
    Func<object, BalanceDelta?> effects
)
{
    private static readonly Guid ClientA = Guid.Parse("aaaaaaaa-0000-4000-8000-000000000001");
    private static readonly Guid ClientB = Guid.Parse("bbbbbbbb-0000-4000-8000-000000000002");
    private static readonly Guid ConnectionA = Guid.Parse("aaaaaaaa-1111-4000-8000-000000000001");
    private static readonly Guid ConnectionB = Guid.Parse("bbbbbbbb-1111-4000-8000-000000000002");

    /// <summary>Two keys share a connection, so currencies must not leak into each other.</summary>
    public static readonly IReadOnlyList<BalanceKey> Keys =
    [
        new(ClientA, ConnectionA, Currency.Parse("btc")),
        new(ClientA, ConnectionA, Currency.Parse("eth:usdc")),
        new(ClientB, ConnectionB, Currency.Parse("btc")),
    ];

    private readonly Dictionary<Guid, Connection> connections = new()
    {
        [ConnectionA] = ConnectionFor(ConnectionA, ClientA, "tok_a"),
        [ConnectionB] = ConnectionFor(ConnectionB, ClientB, "tok_b"),
    };

    private readonly Dictionary<Guid, HoldStream> streams = [];
    private readonly Dictionary<BalanceKey, Balance> balances = [];
    private readonly List<(HoldKind Kind, HoldRequest Request)> created = [];
    private int partnerReferenceCount;

    public static LedgerModel Faithful() =>
        new(HoldKind.Allocation, HoldKind.Deallocation, BalanceEffects.Of);

    public int EventCount => streams.Values.Sum(stream => stream.Events.Count);

    public Balance BalanceOf(BalanceKey key) => balances.GetValueOrDefault(key) ?? Balance.Empty;

    /// <summary>Every hold as a replay of its stream would see it.</summary>
    public IEnumerable<(HoldKind Kind, Hold Hold)> Holds() =>
        streams.Values.Select(stream => (stream.Kind, Replay(stream)));

    public CallOutcome Run(Operation operation, int keyCount) =>
        operation switch
        {
            OpenHold open => Open(KindNamed(open.Kind), RequestFor(open, keyCount)),
            SettleHold settle => Settle(Scenarios.HoldIds[settle.IdIndex], settle.Settlement),
            RetryOpen retry => Retry(retry.Pick),
            _ => throw new InvariantViolationException($"unknown operation {operation}"),
        };

    /// <summary>HoldHandlers.OpenOnceAsync and Repeat.</summary>
    public CallOutcome Open(HoldKind kind, HoldRequest request)
    {
        if (streams.TryGetValue(request.Id, out HoldStream? existing))
        {
            if (existing.Kind.Name != kind.Name)
            {
                return new CallOutcome.Conflict("ids share one space");
            }
            Hold hold = Replay(existing);
            string? field = HoldRules.FirstDifference(hold.Request, request);
            return field is null ? new CallOutcome.Repeated(hold) : new CallOutcome.Conflict(field);
        }
        Connection? connection = connections.GetValueOrDefault(request.ConnectionId);
        BalanceKey key = request.BalanceKey;
        IReadOnlyList<object> events = kind.Request(
            request,
            connection,
            BalanceOf(key).Available,
            NextPartnerReference()
        );
        var stream = new HoldStream(kind, []);
        streams.Add(request.Id, stream);
        Append(stream, events);
        created.Add((kind, request));
        return new CallOutcome.Opened(Replay(stream));
    }

    /// <summary>The same body as an earlier open that created a hold, sent again.</summary>
    public CallOutcome Retry(int pick)
    {
        if (created.Count == 0)
        {
            return new CallOutcome.NothingToRetry();
        }
        (HoldKind kind, HoldRequest request) = created[pick % created.Count];
        return Open(kind, request);
    }

    /// <summary>HoldHandlers.SettleOnceAsync, on the endpoint of the hold's own kind.</summary>
    public CallOutcome Settle(Guid id, Settlement settlement)
    {
        if (!streams.TryGetValue(id, out HoldStream? stream))
        {
            return new CallOutcome.NotFound();
        }
        Hold hold = Replay(stream);
        SettleDecision decision =
            settlement == Settlement.Clear ? stream.Kind.Clear(hold) : stream.Kind.Release(hold);
        switch (decision)
        {
            case SettleDecision.Append append:
                Append(stream, [append.Event]);
                return new CallOutcome.Settled(Hold.Next(hold, append.Event));
            case SettleDecision.AlreadyDone:
                return new CallOutcome.AlreadyDone(hold);
            case SettleDecision.Conflict conflict:
                return new CallOutcome.Conflict(conflict.Detail);
            default:
                throw new InvariantViolationException($"unknown settle decision {decision}");
        }
    }

    /// <summary>The append and its inline balance projection, which Balance.Apply guards.</summary>
    private void Append(HoldStream stream, IReadOnlyList<object> events)
    {
        foreach (object e in events)
        {
            // Checked on write, as the store's expected version would: the stream stays valid.
            _ = Hold.Next(stream.Events.Count == 0 ? null : Replay(stream), e);
            stream.Events.Add(e);
            if (effects(e) is { } delta)
            {
                balances[delta.Key] = BalanceOf(delta.Key).Apply(delta);
            }
        }
    }

    private HoldRequest RequestFor(OpenHold open, int keyCount)
    {
        BalanceKey key = Keys[open.KeyIndex % keyCount];
        Connection connection = connections[key.ConnectionId];
        string partnerClientId = open.WrongPartnerClientId
            ? "pc_wrong"
            : connection.PartnersClientId;
        return new HoldRequest(
            Scenarios.HoldIds[open.IdIndex],
            key.ClientId,
            key.ConnectionId,
            connection.PartnersConnectionId,
            partnerClientId,
            new Amount(key.Currency, Quantity.From(open.Quantity))
        );
    }

    private HoldKind KindNamed(string name) =>
        name switch
        {
            "allocation" => allocation,
            "deallocation" => deallocation,
            _ => throw new InvariantViolationException($"no hold kind {name}"),
        };

    private string NextPartnerReference() => $"partner-{++partnerReferenceCount}";

    private static Hold Replay(HoldStream stream) =>
        Hold.Fold(stream.Events) ?? throw new InvariantViolationException("empty stream");

    private static Connection ConnectionFor(Guid connectionId, Guid clientId, string token)
    {
        var command = new ActivateConnection(connectionId, clientId, "wallet", Guid.Empty, token);
        var activate = (ActivationDecision.Activate)
            ConnectionDecisions.Activate(null, command, $"pconn-{connectionId:N}");
        return Connection.Create(activate.Event);
    }

    private sealed record HoldStream(HoldKind Kind, List<object> Events);
}
