using System.Text.Json;
using Ledger.Api.Audit;
using Ledger.Domain;
using Ledger.Domain.Allocations;
using Ledger.Domain.Connections;
using Ledger.Domain.Deallocations;
using Ledger.EventStore;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Benchmarks;

/// <summary>
/// Seeds a log of realistic streams through COPY, with valid hash chains computed in C# per
/// docs/hash-chain.md: connections (a tenth later deactivated), each funded by a cleared
/// allocation per currency; then allocations and deallocations that are reserved and later
/// cleared or released, and refusals. Balances never go negative, so the log replays clean.
/// The views are left to projections rebuild.
/// </summary>
public sealed class Seeder(EventTypeRegistry registry, int seed = 20_260_101)
{
    private const int ConnectionsCount = 2_000;

    private static readonly string[] Currencies = ["btc", "eth", "usdc"];

    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly Random _random = new(seed);
    private readonly List<StreamPlan> _streams = [];
    private readonly List<PlannedEvent> _events = [];
    private long _ticks = Start.Ticks;

    /// <summary>Funding far above every deallocation the benchmark can draw from it.</summary>
    private const string FundingQuantity = "1000000000000000000000000";

    public async Task<long> SeedAsync(
        NpgsqlDataSource dataSource,
        long eventsTarget,
        TextWriter log
    )
    {
        Plan(eventsTarget);
        // Stable: events at one instant keep the order they were planned in (one append).
        List<PlannedEvent> ordered = [.. _events.OrderBy(e => e.At)];
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync();
        await CopyStreamsAsync(connection);
        log.WriteLine(
            $"seed: {_streams.Count:N0} streams written, writing {ordered.Count:N0} events"
        );
        await CopyEventsAsync(connection, ordered, log);
        return ordered.Count;
    }

    private void Plan(long eventsTarget)
    {
        var connections = new List<StreamPlan>();
        for (int i = 0; i < ConnectionsCount; i++)
        {
            connections.Add(PlanConnection());
        }
        while (_events.Count < eventsTarget)
        {
            StreamPlan connection = connections[_random.Next(connections.Count)];
            int roll = _random.Next(100);
            if (roll < 45)
            {
                PlanHold(connection, allocation: true, Quantity(), rejected: null);
            }
            else if (roll < 93)
            {
                PlanHold(connection, allocation: false, Quantity(), rejected: null);
            }
            else
            {
                PlanHold(
                    connection,
                    allocation: _random.Next(2) == 0,
                    Quantity(),
                    rejected: "unknown currency"
                );
            }
        }
        DateTime end = Tick(1_000);
        foreach (StreamPlan connection in connections.Where((_, i) => i % 10 == 0))
        {
            Add(
                connection,
                end,
                new ConnectionDeactivated(connection.Id, "client closed the account")
            );
        }
    }

    private StreamPlan PlanConnection()
    {
        Guid id = Guid.NewGuid();
        string tokenSha256 =
            Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())
            + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var activated = new ConnectionActivated(
            id,
            Guid.NewGuid(),
            "wallet-" + id.ToString("N")[..12],
            Guid.NewGuid(),
            "pc_" + Guid.NewGuid().ToString("N"),
            Guid.CreateVersion7().ToString(),
            tokenSha256
        );
        var plan = new StreamPlan(id, "connection", activated.ClientId, activated);
        _streams.Add(plan);
        Add(plan, Tick(500), activated);
        foreach (string currency in Currencies)
        {
            var funding = new Amount(
                Currency.Parse(currency),
                Domain.Quantity.Parse(FundingQuantity)
            );
            PlanHold(
                plan,
                allocation: true,
                funding,
                rejected: null,
                settle: "clear",
                settleAfterMicroseconds: 1
            );
        }
        return plan;
    }

    private void PlanHold(
        StreamPlan connection,
        bool allocation,
        Amount amount,
        string? rejected,
        string? settle = null,
        long? settleAfterMicroseconds = null
    )
    {
        var c = (ConnectionActivated)connection.First;
        Guid id = Guid.NewGuid();
        Amount asked = rejected is null
            ? amount
            : new Amount(Currency.Parse("doge"), amount.Quantity);
        var request = new Domain.Holds.HoldRequest(
            id,
            c.ClientId,
            c.ConnectionId,
            c.PartnersConnectionId,
            c.PartnersClientId,
            asked
        );
        string partnerId = Guid.CreateVersion7().ToString();
        object requested = allocation
            ? AllocationRequested.From(request)
            : DeallocationRequested.From(request);
        var plan = new StreamPlan(
            id,
            allocation ? "allocation" : "deallocation",
            c.ClientId,
            requested
        );
        _streams.Add(plan);
        DateTime opened = Tick(60_000);
        Add(plan, opened, requested);
        if (rejected is not null)
        {
            Add(
                plan,
                opened,
                allocation
                    ? new AllocationRejected(id, partnerId, rejected)
                    : new DeallocationRejected(id, partnerId, rejected)
            );
            return;
        }
        Add(
            plan,
            opened,
            allocation
                ? new AllocationReserved(id, partnerId, c.ClientId, c.ConnectionId, amount)
                : new DeallocationReserved(id, partnerId, c.ClientId, c.ConnectionId, amount)
        );
        settle ??= _random.Next(100) < 80 ? "clear" : "release";
        // Settled later: between a moment and a few hours after, interleaved with other appends.
        long after = settleAfterMicroseconds ?? _random.NextInt64(1_000_000, 3_600_000_000);
        DateTime settled = opened.AddTicks(after * TimeSpan.TicksPerMicrosecond);
        Add(
            plan,
            settled,
            (allocation, settle) switch
            {
                (true, "clear") => new AllocationCleared(id, c.ClientId, c.ConnectionId, amount),
                (true, _) => new AllocationReleased(id, c.ClientId, c.ConnectionId, amount),
                (false, "clear") => new DeallocationCleared(id, c.ClientId, c.ConnectionId, amount),
                (false, _) => new DeallocationReleased(id, c.ClientId, c.ConnectionId, amount),
            }
        );
    }

    private Amount Quantity()
    {
        string currency = Currencies[_random.Next(Currencies.Length)];
        long quantity =
            currency == "eth"
                ? _random.NextInt64(1, 1_000_000) * 1_000_000_000_000
                : _random.NextInt64(1, 100_000_000);
        return new Amount(
            Currency.Parse(currency),
            Domain.Quantity.Parse(
                quantity.ToString(System.Globalization.CultureInfo.InvariantCulture)
            )
        );
    }

    /// <summary>
    /// The simulated clock: each append a little after the previous, in whole microseconds.
    /// </summary>
    private DateTime Tick(int microsecondsMax)
    {
        _ticks += _random.Next(1, microsecondsMax) * TimeSpan.TicksPerMicrosecond;
        return new DateTime(_ticks, DateTimeKind.Utc);
    }

    private void Add(StreamPlan plan, DateTime at, object data)
    {
        plan.Version++;
        plan.CreatedAt = plan.Version == 1 ? at : plan.CreatedAt;
        plan.UpdatedAt = at;
        _events.Add(new PlannedEvent(plan, plan.Version, at, data));
    }

    private async Task CopyStreamsAsync(NpgsqlConnection connection)
    {
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            """
            COPY ledger.streams (id, type, version, created_at, updated_at)
            FROM STDIN (FORMAT BINARY)
            """
        );
        foreach (StreamPlan s in _streams)
        {
            await importer.StartRowAsync();
            await importer.WriteAsync(s.Id, NpgsqlDbType.Uuid);
            await importer.WriteAsync(s.Type, NpgsqlDbType.Text);
            await importer.WriteAsync(s.Version, NpgsqlDbType.Integer);
            await importer.WriteAsync(s.CreatedAt, NpgsqlDbType.TimestampTz);
            await importer.WriteAsync(s.UpdatedAt, NpgsqlDbType.TimestampTz);
        }
        await importer.CompleteAsync();
    }

    private async Task CopyEventsAsync(
        NpgsqlConnection connection,
        List<PlannedEvent> ordered,
        TextWriter log
    )
    {
        using var hasher = new EventHash();
        var meter = new ProgressMeter(log, "seed");
        long written = 0;
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(
            """
            COPY ledger.events (stream_id, version, type, data, metadata, recorded_at, hash)
            FROM STDIN (FORMAT BINARY)
            """
        );
        foreach (PlannedEvent e in ordered)
        {
            string type = registry.AliasOf(e.Data);
            string data = JsonbText.Render(registry.Serialize(e.Data));
            string metadata = JsonbText.Render(JsonSerializer.Serialize(Metadata(written)));
            byte[] hash = new byte[EventHash.HashBytes];
            byte[] previous = e.Version == 1 ? new byte[EventHash.HashBytes] : e.Stream.LastHash;
            hasher.Compute(previous, e.Stream.Id, e.Version, type, data, metadata, e.At, hash);
            e.Stream.LastHash = hash;
            importer.StartRow();
            importer.Write(e.Stream.Id, NpgsqlDbType.Uuid);
            importer.Write(e.Version, NpgsqlDbType.Integer);
            importer.Write(type, NpgsqlDbType.Text);
            importer.Write(data, NpgsqlDbType.Jsonb);
            importer.Write(metadata, NpgsqlDbType.Jsonb);
            importer.Write(e.At, NpgsqlDbType.TimestampTz);
            importer.Write(hash, NpgsqlDbType.Bytea);
            written++;
            meter.Tick(written);
        }
        await importer.CompleteAsync();
        meter.Done(written);
    }

    /// <summary>
    /// As RequestContext records a BitGo call: actor, correlation and request ids.
    /// </summary>
    private static EventMetadata Metadata(long n)
    {
        string request = $"0HNA{n / 1000:X8}:{n % 1000:X8}";
        return new EventMetadata("bitgo", request, null, request);
    }

    private sealed class StreamPlan(Guid id, string type, Guid clientId, object first)
    {
        public Guid Id { get; } = id;

        public string Type { get; } = type;

        public Guid ClientId { get; } = clientId;

        public object First { get; } = first;

        public int Version { get; set; }

        public DateTime CreatedAt { get; set; }

        public DateTime UpdatedAt { get; set; }

        public byte[] LastHash { get; set; } = [];
    }

    private sealed record PlannedEvent(StreamPlan Stream, int Version, DateTime At, object Data);
}
