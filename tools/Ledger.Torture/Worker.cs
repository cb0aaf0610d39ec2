using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ledger.Torture;

/// <summary>
/// One of BitGo's callers. Most of its holds are on balances that it alone uses, so there it
/// predicts every answer: a deallocation is refused exactly when the model says funds are
/// short. On the balances all workers share, deallocations race and the answers decide. Either
/// way a repeat answers byte for byte as the first time, and a settle after a settle as the
/// contract says. Its choices come from its own seeded Random, so a seed replays them; the
/// chaos (dropped connections, backoff) has a Random of its own, so that timing never shifts
/// the choices.
/// </summary>
public sealed class Worker
{
    public const double DropProbability = 0.02;

    // The operation mix; what is left after these is a probe of a contract rule.
    private const double AllocationShare = 0.25;
    private const double DeallocationShare = 0.25;
    private const double SettleShare = 0.28;
    private const double ExactRetryShare = 0.10;

    /// <summary>Some requests go out twice at once: racing duplicates must not both act.</summary>
    private const double BurstProbability = 0.05;
    private const int BurstCopies = 2;

    /// <summary>New holds on the balances every worker shares, where deallocations race.</summary>
    private const double SharedShare = 0.2;

    /// <summary>Bursts of different deallocations that race for one shared balance.</summary>
    private const double RaceShare = 0.04;
    private const int RaceCopies = 4;
    private const int RacePercentOfAvailable = 40;
    private const int RaceAvailableMin = 100;
    private const double ClearShare = 0.7;
    private const double FundedDeallocationShare = 0.8;
    private const long BitcoinQuantityMax = 100_000_000;

    // Wei amounts beyond 64 bits (about 9.2 ETH) go through every path too.
    private const long WeiQuantityBase = 1_000_000_000_000_000_000;
    private const int WeiMultiplierMax = 10_000;
    private const int FractionSteps = 1_000_000;
    private const string InsufficientFunds = "insufficient funds";

    private static readonly string[] Currencies = ["btc", "eth"];

    private readonly int _index;
    private readonly LedgerClient _client;
    private readonly Figures _figures;
    private readonly IReadOnlyList<HarnessConnection> _connections;
    private readonly SharedBalances _shared;
    private readonly Random _choices;
    private readonly Random _chaos;
    private readonly Dictionary<BalanceKey, BalanceModel> _balances = [];
    private readonly List<HoldModel> _holds = [];
    private readonly List<HoldModel> _open = [];
    private readonly List<HoldModel> _settled = [];
    private readonly List<Acknowledgement> _acknowledgements = [];
    private readonly List<Guid> _neverCreated = [];
    private long _operation;

    public Worker(
        int index,
        int seed,
        LedgerClient client,
        Figures figures,
        IReadOnlyList<HarnessConnection> connections,
        SharedBalances shared
    )
    {
        _shared = shared;
        _index = index;
        _client = client;
        _figures = figures;
        _connections = connections;
        _choices = new Random(unchecked(seed * 7_919 + index + 1));
        _chaos = new Random(unchecked(seed * 104_729 + index + 1));
    }

    public IReadOnlyList<HoldModel> Holds => _holds;

    public IReadOnlyDictionary<BalanceKey, BalanceModel> Balances => _balances;

    public IReadOnlyList<Acknowledgement> Acknowledgements => _acknowledgements;

    /// <summary>Ids only ever probed with a settle of an unknown id: no stream may exist.</summary>
    public IReadOnlyList<Guid> NeverCreated => _neverCreated;

    /// <summary>
    /// Runs operations until <paramref name="stop"/>; the one in flight always finishes. A
    /// request that never gets an answer ends this worker: its model no longer knows the truth.
    /// </summary>
    public async Task RunAsync(CancellationToken stop, CancellationToken abort)
    {
        while (!stop.IsCancellationRequested)
        {
            _operation++;
            _figures.Operation();
            try
            {
                await StepAsync(abort);
            }
            catch (NoAnswerException e)
            {
                Discrepancy(e.Message);
                return;
            }
        }
    }

    private Task StepAsync(CancellationToken abort)
    {
        double roll = _choices.NextDouble();
        if (roll < AllocationShare)
        {
            return OpenAsync(HoldKind.Allocation, abort);
        }
        if (roll < AllocationShare + DeallocationShare)
        {
            return OpenAsync(HoldKind.Deallocation, abort);
        }
        if (roll < AllocationShare + DeallocationShare + SettleShare)
        {
            return _open.Count > 0 ? SettleAsync(abort) : OpenAsync(HoldKind.Allocation, abort);
        }
        if (roll < AllocationShare + DeallocationShare + SettleShare + ExactRetryShare)
        {
            return _acknowledgements.Count > 0
                ? ExactRetryAsync(abort)
                : OpenAsync(HoldKind.Allocation, abort);
        }
        if (roll < AllocationShare + DeallocationShare + SettleShare + ExactRetryShare + RaceShare)
        {
            return _shared.Connections.Count > 0 ? RaceAsync(abort) : ProbeAsync(abort);
        }
        return ProbeAsync(abort);
    }

    private async Task OpenAsync(HoldKind kind, CancellationToken abort)
    {
        bool shared = _shared.Connections.Count > 0 && _choices.NextDouble() < SharedShare;
        HarnessConnection connection = shared
            ? _shared.Connections[_choices.Next(_shared.Connections.Count)]
            : _connections[_choices.Next(_connections.Count)];
        string currency = Currencies[_choices.Next(Currencies.Length)];
        BalanceModel balance = BalanceOf(new BalanceKey(connection.ConnectionId, currency));
        // On a shared balance the amount may not depend on other workers' timing (the seed
        // replays the choices), and only the answer can say whether the funds sufficed.
        BigInteger quantity =
            kind == HoldKind.Allocation || shared
                ? RandomQuantity(currency)
                : DeallocationQuantity(balance.Available, currency);
        bool? expectRefusal = shared
            ? null
            : kind == HoldKind.Deallocation && quantity > balance.Available;
        HoldModel hold = NewHold(kind, connection, currency, quantity);
        HarnessAnswer answer = await SendAsync(Post(hold.OpenPath, hold.OpenBody), abort);
        Opened(hold, answer, expectRefusal, balance);
    }

    /// <summary>
    /// Several different deallocations on one shared balance at once, each for 40% of what the
    /// model last saw available, so that at most two fit: together they may reserve no more
    /// than there is, whichever order the ledger takes them in.
    /// </summary>
    private async Task RaceAsync(CancellationToken abort)
    {
        HarnessConnection connection = _shared.Connections[
            _choices.Next(_shared.Connections.Count)
        ];
        string currency = Currencies[_choices.Next(Currencies.Length)];
        // Drawn whether used or not, so that the choices that follow never depend on timing.
        BigInteger fallback = RandomQuantity(currency);
        BalanceModel balance = BalanceOf(new BalanceKey(connection.ConnectionId, currency));
        BigInteger available;
        lock (balance)
        {
            available = balance.Available;
        }
        BigInteger quantity =
            available >= RaceAvailableMin ? available * RacePercentOfAvailable / 100 : fallback;
        HoldModel[] holds =
        [
            .. Enumerable
                .Range(0, RaceCopies)
                .Select(_ => NewHold(HoldKind.Deallocation, connection, currency, quantity)),
        ];
        HarnessRequest[] requests = [.. holds.Select(hold => Post(hold.OpenPath, hold.OpenBody))];
        Random[] chaos = [.. holds.Select(_ => NextChaos())];
        HarnessAnswer[] answers = await Task.WhenAll(
            requests.Select(
                (request, i) =>
                    _client.SendUntilAnsweredAsync(request, chaos[i], DropProbability, abort)
            )
        );
        for (int i = 0; i < holds.Length; i++)
        {
            _figures.Acknowledge();
            _acknowledgements.Add(new Acknowledgement(requests[i], answers[i]));
            Opened(holds[i], answers[i], expectRefusal: null, balance);
        }
    }

    /// <summary>Checks the answer to a new hold and applies it to the model.</summary>
    private void Opened(
        HoldModel hold,
        HarnessAnswer answer,
        bool? expectRefusal,
        BalanceModel balance
    )
    {
        HoldKind kind = hold.Kind;
        Guid id = hold.Id;
        BigInteger quantity = hold.Quantity;
        if (!Expect(answer, 200, $"open {hold.Noun} {id}") || !SameHold(answer, hold))
        {
            return;
        }
        string? reason = answer.Member("rejectionReason");
        bool refusalExpected = expectRefusal ?? reason is not null;
        bool refused = reason is not null;
        if (
            refused != refusalExpected
            || (refused && reason != InsufficientFunds)
            || (refused && kind == HoldKind.Allocation)
        )
        {
            Discrepancy(
                $"open {hold.Noun} {id} of {quantity} with {balance}: expected "
                    + $"{(refusalExpected ? "refusal" : "reservation")}, got {answer}"
            );
        }
        hold.OpenAnswer = answer.Body;
        if (reason is not null)
        {
            hold.State = HoldState.Rejected;
            hold.SettleAnswer = answer.Body;
            _settled.Add(hold);
            return;
        }
        hold.State = HoldState.Reserved;
        lock (balance)
        {
            if (kind == HoldKind.Allocation)
            {
                balance.PendingCredit += quantity;
            }
            else
            {
                balance.Available -= quantity;
                balance.Reserved += quantity;
            }
        }
        _open.Add(hold);
    }

    private async Task SettleAsync(CancellationToken abort)
    {
        int index = _choices.Next(_open.Count);
        HoldModel hold = _open[index];
        bool clear = _choices.NextDouble() < ClearShare;
        HarnessAnswer answer = await SendAsync(Put(hold.SettlePath(clear)), abort);
        _open.RemoveAt(index);
        _settled.Add(hold);
        hold.State = clear ? HoldState.Cleared : HoldState.Released;
        hold.SettleAnswer = answer.Body;
        if (!Expect(answer, 200, $"{Verb(clear)} {hold.Noun} {hold.Id}") || !SameHold(answer, hold))
        {
            return;
        }
        BalanceModel balance = BalanceOf(
            new BalanceKey(hold.Connection.ConnectionId, hold.Currency)
        );
        lock (balance)
        {
            Settle(balance, hold, clear);
        }
    }

    private static void Settle(BalanceModel balance, HoldModel hold, bool clear)
    {
        switch (hold.Kind, clear)
        {
            case (HoldKind.Allocation, true):
                balance.PendingCredit -= hold.Quantity;
                balance.Available += hold.Quantity;
                break;
            case (HoldKind.Allocation, false):
                balance.PendingCredit -= hold.Quantity;
                break;
            case (HoldKind.Deallocation, true):
                balance.Reserved -= hold.Quantity;
                break;
            case (HoldKind.Deallocation, false):
                balance.Reserved -= hold.Quantity;
                balance.Available += hold.Quantity;
                break;
        }
    }

    /// <summary>An exact retry of an answered request must answer as the first time did.</summary>
    private async Task ExactRetryAsync(CancellationToken abort)
    {
        Acknowledgement first = _acknowledgements[_choices.Next(_acknowledgements.Count)];
        _figures.ExactRetry();
        HarnessAnswer again = await _client.SendUntilAnsweredAsync(
            first.Request,
            _chaos,
            DropProbability,
            abort
        );
        _figures.Acknowledge();
        if (Difference(first.Answer, again) is { } difference)
        {
            Discrepancy(
                $"exact retry of {first.Request}: {difference}; "
                    + $"first {first.Answer}, now {again}"
            );
        }
    }

    /// <summary>The contract's answers for repeats, conflicts and unknown ids.</summary>
    private async Task ProbeAsync(CancellationToken abort)
    {
        int probe = _settled.Count == 0 ? 3 : _choices.Next(4);
        HoldModel? hold = _settled.Count == 0 ? null : _settled[_choices.Next(_settled.Count)];
        switch (probe)
        {
            case 0:
                await RepeatSettleAsync(hold!, abort);
                break;
            case 1:
                await OppositeSettleAsync(hold!, abort);
                break;
            case 2:
                await DifferentBodyAsync(hold!, abort);
                break;
            default:
                await UnknownIdAsync(abort);
                break;
        }
    }

    /// <summary>Clear after clear, release after release or refusal: 200, the same body.</summary>
    private async Task RepeatSettleAsync(HoldModel hold, CancellationToken abort)
    {
        bool clear = hold.State == HoldState.Cleared;
        HarnessAnswer answer = await SendAsync(Put(hold.SettlePath(clear)), abort);
        if (answer.Status != 200 || answer.Body != hold.SettleAnswer)
        {
            Discrepancy(
                $"repeat {Verb(clear)} of {hold.State} {hold.Noun} {hold.Id}: "
                    + $"expected 200 {hold.SettleAnswer}, got {answer}"
            );
        }
    }

    /// <summary>Release after clear, clear after release or refusal: 409, not retriable.</summary>
    private async Task OppositeSettleAsync(HoldModel hold, CancellationToken abort)
    {
        bool clear = hold.State != HoldState.Cleared;
        HarnessAnswer answer = await SendAsync(Put(hold.SettlePath(clear)), abort);
        bool namesId =
            answer.Error?.StartsWith(hold.IdField + ":", StringComparison.Ordinal) == true;
        if (
            Expect(answer, 409, $"{Verb(clear)} of {hold.State} {hold.Noun} {hold.Id}")
            && (answer.Retriable || !namesId)
        )
        {
            Discrepancy($"conflict on {hold.Noun} {hold.Id} is not the contract's: {answer}");
        }
    }

    /// <summary>The same id with another amount: 409 naming amount.quantity.</summary>
    private async Task DifferentBodyAsync(HoldModel hold, CancellationToken abort)
    {
        string body = HoldBody(
            hold.Kind,
            hold.Id,
            hold.Connection,
            hold.Currency,
            (hold.Quantity + 1).ToString(CultureInfo.InvariantCulture)
        );
        HarnessAnswer answer = await SendAsync(Post(hold.OpenPath, body), abort);
        if (
            Expect(answer, 409, $"other body for {hold.Noun} {hold.Id}")
            && answer.Error?.StartsWith("amount.quantity", StringComparison.Ordinal) != true
        )
        {
            Discrepancy(
                $"other body for {hold.Noun} {hold.Id}: the 409 does not name "
                    + $"amount.quantity: {answer}"
            );
        }
    }

    private async Task UnknownIdAsync(CancellationToken abort)
    {
        Guid id = NewId();
        _neverCreated.Add(id);
        string noun = _choices.Next(2) == 0 ? "allocation" : "deallocation";
        HarnessAnswer answer = await SendAsync(Put($"/bitgo/v1/{noun}/{id}/clear"), abort);
        Expect(answer, 404, $"clear of unknown {noun} {id}");
    }

    /// <summary>Sends until answered, sometimes as racing duplicates that must agree.</summary>
    private async Task<HarnessAnswer> SendAsync(HarnessRequest request, CancellationToken abort)
    {
        int copies = _choices.NextDouble() < BurstProbability ? BurstCopies : 1;
        HarnessAnswer[] answers = await Task.WhenAll(
            Enumerable
                .Range(0, copies)
                .Select(_ =>
                    _client.SendUntilAnsweredAsync(request, NextChaos(), DropProbability, abort)
                )
        );
        foreach (HarnessAnswer other in answers.Skip(1))
        {
            if (Difference(answers[0], other) is { } difference)
            {
                Discrepancy(
                    $"racing duplicates of {request} disagree ({difference}): "
                        + $"{answers[0]} vs {other}"
                );
            }
        }
        foreach (HarnessAnswer _ in answers)
        {
            _figures.Acknowledge();
        }
        _acknowledgements.Add(new Acknowledgement(request, answers[0]));
        return answers[0];
    }

    /// <summary>Racing copies each get their own chaos source: Random is not thread safe.</summary>
    private Random NextChaos() => new(_chaos.Next());

    /// <summary>
    /// Null when two answers are the same: the same status, and for a 2xx the same bytes. A
    /// problem body carries a per-request traceId, so for errors the "error" member is compared.
    /// </summary>
    public static string? Difference(HarnessAnswer first, HarnessAnswer again)
    {
        if (first.Status != again.Status)
        {
            return "status";
        }
        if (first.Status is >= 200 and < 300)
        {
            return first.Body == again.Body ? null : "body";
        }
        return first.Error == again.Error && first.Retriable == again.Retriable ? null : "error";
    }

    private bool Expect(HarnessAnswer answer, int status, string what)
    {
        if (answer.Status == status)
        {
            return true;
        }
        Discrepancy($"{what}: expected {status}, got {answer}");
        return false;
    }

    private bool SameHold(HarnessAnswer answer, HoldModel hold)
    {
        string? quantity = QuantityOf(answer);
        if (
            answer.Member(hold.IdField) == hold.Id.ToString()
            && quantity == hold.Quantity.ToString(CultureInfo.InvariantCulture)
        )
        {
            return true;
        }
        Discrepancy(
            $"{hold.Noun} {hold.Id} of {hold.Quantity}: the answer names another hold: " + answer
        );
        return false;
    }

    private static string? QuantityOf(HarnessAnswer answer)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(answer.Body);
            return
                document.RootElement.TryGetProperty("amount", out JsonElement amount)
                && amount.TryGetProperty("quantity", out JsonElement quantity)
                ? quantity.GetRawText()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private void Discrepancy(string what) =>
        _figures.Discrepancy($"worker {_index} op {_operation}: {what}");

    private BalanceModel BalanceOf(BalanceKey key)
    {
        if (_shared.Holds(key.ConnectionId))
        {
            return _shared.Of(key);
        }
        if (!_balances.TryGetValue(key, out BalanceModel? balance))
        {
            balance = new BalanceModel();
            _balances[key] = balance;
        }
        return balance;
    }

    private BigInteger RandomQuantity(string currency) =>
        currency == "btc"
            ? _choices.NextInt64(1, BitcoinQuantityMax + 1)
            : new BigInteger(_choices.NextInt64(1, WeiQuantityBase))
                * _choices.Next(1, WeiMultiplierMax + 1);

    /// <summary>Mostly within the funds, sometimes beyond them, to be refused.</summary>
    private BigInteger DeallocationQuantity(BigInteger available, string currency)
    {
        if (available > 0 && _choices.NextDouble() < FundedDeallocationShare)
        {
            return 1 + (available - 1) * _choices.Next(FractionSteps + 1) / FractionSteps;
        }
        return available + RandomQuantity(currency);
    }

    private Guid NewId() => NewId(_choices);

    private HoldModel NewHold(
        HoldKind kind,
        HarnessConnection connection,
        string currency,
        BigInteger quantity
    )
    {
        Guid id = NewId();
        var hold = new HoldModel(
            id,
            kind,
            connection,
            currency,
            quantity,
            HoldBody(
                kind,
                id,
                connection,
                currency,
                quantity.ToString(CultureInfo.InvariantCulture)
            )
        );
        _holds.Add(hold);
        return hold;
    }

    private static HarnessRequest Post(string path, string body) =>
        new(HttpMethod.Post, path, body);

    private static HarnessRequest Put(string path) => new(HttpMethod.Put, path, null);

    private static string Verb(bool clear) => clear ? "clear" : "release";

    /// <summary>A version-4 UUID from a seeded source, so a seed replays the ids too.</summary>
    public static Guid NewId(Random random)
    {
        byte[] bytes = new byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    public static string HoldBody(
        HoldKind kind,
        Guid id,
        HarnessConnection c,
        string currency,
        string quantity
    ) =>
        new JsonObject
        {
            [kind == HoldKind.Allocation ? "allocationId" : "deallocationId"] = id.ToString(),
            ["amount"] = new JsonObject { ["currency"] = currency, ["quantity"] = quantity },
            ["clientId"] = c.ClientId.ToString(),
            ["connectionId"] = c.ConnectionId.ToString(),
            ["partnersConnectionId"] = c.PartnersConnectionId,
            ["partnerClientId"] = c.PartnerClientId,
        }.ToJsonString();
}
