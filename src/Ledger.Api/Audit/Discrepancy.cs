using Ledger.Domain.Balances;

namespace Ledger.Api.Audit;

/// <summary>
/// One thing the audit found wrong. Expected is what the log says (replayed, recomputed);
/// found is what is stored (the hash column, a stream row, a view row, a checkpoint).
/// Printed as "stream &lt;id&gt; version &lt;v&gt; field hash: expected .., found ..".
/// </summary>
public sealed record Discrepancy(string Subject, string Field, string Expected, string Found)
{
    public const string None = "none";

    public static Discrepancy OfEvent(
        Guid streamId,
        int version,
        string field,
        string expected,
        string found
    ) => new($"stream {streamId:D} version {version}", field, expected, found);

    public static Discrepancy OfStream(
        Guid streamId,
        string field,
        string expected,
        string found
    ) => new($"stream {streamId:D}", field, expected, found);

    public static Discrepancy OfBalance(
        BalanceKey key,
        string field,
        string expected,
        string found
    ) =>
        new(
            $"balance {key.ClientId:D}/{key.ConnectionId:D}/{key.Currency.Code}",
            field,
            expected,
            found
        );

    public static Discrepancy OfHold(Guid holdId, string field, string expected, string found) =>
        new($"hold_status {holdId:D}", field, expected, found);

    public static Discrepancy OfConnection(
        Guid connectionId,
        string field,
        string expected,
        string found
    ) => new($"connection {connectionId:D}", field, expected, found);

    public static Discrepancy OfCheckpoint(
        long id,
        long atSeq,
        string field,
        string expected,
        string found
    ) => new($"checkpoint {id} at seq {atSeq}", field, expected, found);

    public override string ToString() =>
        $"{Subject} field {Field}: expected {Expected}, found {Found}";
}

/// <summary>
/// Prints every discrepancy as it is found and keeps the first few thousand for the caller.
/// A badly damaged log could hold millions; the count is always exact. Verify's threads
/// report concurrently, so each report is taken under a lock.
/// </summary>
public sealed class DiscrepancyLog(TextWriter report)
{
    public const int KeptMax = 10_000;

    private readonly List<Discrepancy> _kept = [];
    private readonly Lock _lock = new();
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public IReadOnlyList<Discrepancy> Kept
    {
        get
        {
            lock (_lock)
            {
                return [.. _kept];
            }
        }
    }

    public void Add(Discrepancy discrepancy)
    {
        lock (_lock)
        {
            _count++;
            if (_kept.Count < KeptMax)
            {
                _kept.Add(discrepancy);
            }
            report.WriteLine(discrepancy.ToString());
        }
    }
}
