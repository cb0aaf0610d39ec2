using System.Data;
using System.Numerics;
using Ledger.Domain;
using Ledger.Domain.Balances;
using Ledger.Domain.Connections;
using Ledger.Domain.Holds;
using Ledger.EventStore;
using Npgsql;

namespace Ledger.Api.Audit;

/// <summary>One event as a replay applies it: its place in the log and its decoded data.</summary>
public readonly record struct ReplayEvent(
    long Seq,
    Guid StreamId,
    int Version,
    object Data,
    DateTime RecordedAt
);

/// <summary>A row of ledger.balances as the log implies it. Parts are signed: a replay of a
/// damaged log can drive one below zero, and that must be reported, not hidden.</summary>
public sealed record BalanceRow(
    BigInteger Available,
    BigInteger Reserved,
    BigInteger PendingCredit,
    DateTime UpdatedAt
)
{
    public static BalanceRow Zero(DateTime at) => new(0, 0, 0, at);
}

/// <summary>A row of ledger.hold_status as the log implies it.</summary>
public sealed record HoldRow(string Kind, Hold Hold, DateTime CreatedAt, DateTime UpdatedAt)
{
    public string Status => StreamKinds.StatusText(Hold.Status);
}

/// <summary>A row of ledger.connections as the log implies it.</summary>
public sealed record ConnectionRow(
    Connection Connection,
    string? DeactivationReason,
    DateTime CreatedAt,
    DateTime UpdatedAt
);

/// <summary>
/// Every view (balances, hold_status, connections) rebuilt in memory from events, with the
/// domain's own rules: BalanceEffects for balances, Hold.Next for holds, Connection's
/// Create/Apply for connections. audit verify compares the result with the live views and
/// projections rebuild writes it; the auditor API may replay into it as well.
/// <para>
/// Timestamps follow the inline projections: a row's created_at and updated_at are the
/// transaction time (now()) of the appends that created and last changed it, which is also
/// each event's recorded_at.
/// </para>
/// </summary>
public sealed class ProjectionReplay
{
    // One snapshot for the whole replay; rows stream from the server as they are read.
    private const string ReplaySql = """
        SELECT seq, stream_id, version, type, data::text, recorded_at
        FROM ledger.events WHERE seq <= $1 ORDER BY seq
        """;

    private readonly Dictionary<BalanceKey, BalanceRow> _balances = [];
    private readonly Dictionary<Guid, HoldRow> _holds = [];
    private readonly Dictionary<Guid, ConnectionRow> _connections = [];

    public IReadOnlyDictionary<BalanceKey, BalanceRow> Balances => _balances;

    /// <summary>By stream id, which is the hold's id.</summary>
    public IReadOnlyDictionary<Guid, HoldRow> Holds => _holds;

    /// <summary>By stream id, which is the connection's id.</summary>
    public IReadOnlyDictionary<Guid, ConnectionRow> Connections => _connections;

    public long EventsApplied { get; private set; }

    /// <summary>The seq of the last event applied; 0 before any.</summary>
    public long LastSeq { get; private set; }

    /// <summary>
    /// Replays the log up to a seq (inclusive) into a new replay. A broken rule throws.
    /// </summary>
    public static async Task<ProjectionReplay> ReplayAsync(
        NpgsqlDataSource dataSource,
        EventTypeRegistry registry,
        long upToSeq,
        CancellationToken cancellationToken
    )
    {
        var replay = new ProjectionReplay();
        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync(
            cancellationToken
        );
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(
            IsolationLevel.RepeatableRead,
            cancellationToken
        );
        await using var command = new NpgsqlCommand(ReplaySql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = upToSeq });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(
            CommandBehavior.SequentialAccess,
            cancellationToken
        );
        while (await reader.ReadAsync(cancellationToken))
        {
            string type = reader.GetString(3);
            object data = registry.Deserialize(type, reader.GetString(4));
            replay.Apply(
                new ReplayEvent(
                    reader.GetInt64(0),
                    reader.GetGuid(1),
                    reader.GetInt32(2),
                    data,
                    reader.GetFieldValue<DateTime>(5)
                )
            );
        }
        return replay;
    }

    /// <summary>
    /// Applies one event; a broken rule (a negative balance, a bad transition) throws.
    /// </summary>
    public void Apply(ReplayEvent e) =>
        Apply(e, d => throw new InvariantViolationException($"replay: {d}"));

    /// <summary>
    /// Applies one event; each broken rule is reported and the replay carries on.
    /// </summary>
    public void Apply(ReplayEvent e, Action<Discrepancy> report)
    {
        switch (e.Data)
        {
            case IHoldEvent held:
                ApplyHold(e, held, report);
                break;
            case ConnectionActivated or ConnectionDeactivated:
                ApplyConnection(e, report);
                break;
            default:
                report(
                    Discrepancy.OfEvent(
                        e.StreamId,
                        e.Version,
                        "type",
                        "a ledger event",
                        e.Data.GetType().Name
                    )
                );
                break;
        }
        if (BalanceEffects.Of(e.Data) is { } delta)
        {
            ApplyBalance(e, delta, report);
        }
        EventsApplied++;
        LastSeq = e.Seq;
    }

    private void ApplyHold(ReplayEvent e, IHoldEvent held, Action<Discrepancy> report)
    {
        _holds.TryGetValue(e.StreamId, out HoldRow? row);
        string kind = StreamKinds.Of(e.Data)!;
        if (row is not null && row.Kind != kind)
        {
            report(
                Discrepancy.OfEvent(
                    e.StreamId,
                    e.Version,
                    "type",
                    $"an event of a {row.Kind}",
                    $"an event of a {kind}"
                )
            );
            return;
        }
        if (held.HoldId != e.StreamId)
        {
            report(
                Discrepancy.OfEvent(
                    e.StreamId,
                    e.Version,
                    "data.holdId",
                    $"{e.StreamId:D}",
                    $"{held.HoldId:D}"
                )
            );
            return;
        }
        Hold next;
        try
        {
            next = Hold.Next(row?.Hold, e.Data);
        }
        catch (InvariantViolationException violation)
        {
            report(
                Discrepancy.OfEvent(
                    e.StreamId,
                    e.Version,
                    "type",
                    $"an event that may follow status {row?.Status ?? "none"}",
                    violation.Message
                )
            );
            return;
        }
        _holds[e.StreamId] = row is null
            ? new HoldRow(kind, next, e.RecordedAt, e.RecordedAt)
            : row with
            {
                Hold = next,
                UpdatedAt = e.RecordedAt,
            };
    }

    private void ApplyConnection(ReplayEvent e, Action<Discrepancy> report)
    {
        _connections.TryGetValue(e.StreamId, out ConnectionRow? row);
        ConnectionRow? next = (row, e.Data) switch
        {
            (null, ConnectionActivated a) when a.ConnectionId == e.StreamId => new ConnectionRow(
                Connection.Create(a),
                null,
                e.RecordedAt,
                e.RecordedAt
            ),
            ({ } r, ConnectionDeactivated d) when d.ConnectionId == e.StreamId => r with
            {
                Connection = r.Connection.Apply(d),
                DeactivationReason = d.Reason,
                UpdatedAt = e.RecordedAt,
            },
            _ => null,
        };
        if (next is null)
        {
            report(
                Discrepancy.OfEvent(
                    e.StreamId,
                    e.Version,
                    "type",
                    $"an event that may follow version {row?.Connection.Version ?? 0} of a connection",
                    e.Data.GetType().Name
                )
            );
            return;
        }
        _connections[e.StreamId] = next;
    }

    private void ApplyBalance(ReplayEvent e, BalanceDelta delta, Action<Discrepancy> report)
    {
        BalanceRow row = _balances.TryGetValue(delta.Key, out BalanceRow? found)
            ? found
            : BalanceRow.Zero(e.RecordedAt);
        var next = new BalanceRow(
            row.Available + delta.Available,
            row.Reserved + delta.Reserved,
            row.PendingCredit + delta.PendingCredit,
            e.RecordedAt
        );
        _balances[delta.Key] = next;
        ReportNegative(e, delta.Key, "available", next.Available, report);
        ReportNegative(e, delta.Key, "reserved", next.Reserved, report);
        ReportNegative(e, delta.Key, "pending_credit", next.PendingCredit, report);
    }

    /// <summary>
    /// Balance.Apply's rule: no part is ever negative. On replay it is a finding.
    /// </summary>
    private static void ReportNegative(
        ReplayEvent e,
        BalanceKey key,
        string part,
        BigInteger value,
        Action<Discrepancy> report
    )
    {
        if (value.Sign < 0)
        {
            report(
                Discrepancy.OfBalance(
                    key,
                    part,
                    $"a quantity >= 0 after stream {e.StreamId:D} version {e.Version}",
                    $"{value}"
                )
            );
        }
    }
}
