using System.Numerics;
using Npgsql;

namespace Ledger.HttpBench;

/// <summary>
/// After the runs: a fast wrong answer must not pass. audit verify replays the whole log
/// against every hash and view; then the views are held against what the benchmark was told.
/// Each check yields a line; a failed check starts with "FAIL".
/// </summary>
public static class Checks
{
    // Per balance: funded = available + reserved + what left by cleared deallocations, the
    // reserved part is exactly the deallocations still on hold, and nothing is pending.
    private const string BalanceInvariantSql = """
        WITH h AS (
            SELECT connection_id,
                   COALESCE(sum(quantity) FILTER (WHERE kind = 'allocation' AND status = 'cleared'), 0) AS funded,
                   COALESCE(sum(quantity) FILTER (WHERE kind = 'deallocation' AND status = 'cleared'), 0) AS paid_out,
                   COALESCE(sum(quantity) FILTER (WHERE kind = 'deallocation' AND status = 'reserved'), 0) AS on_hold
            FROM ledger.hold_status WHERE connection_id = ANY($1) GROUP BY connection_id)
        SELECT count(*) FILTER (WHERE b.available + b.reserved + h.paid_out <> h.funded
                                   OR b.reserved <> h.on_hold OR b.pending_credit <> 0),
               count(*)
        FROM ledger.balances b JOIN h ON h.connection_id = b.connection_id
        WHERE b.connection_id = ANY($1) AND b.currency = 'btc'
        """;

    private const string DeallocationCountsSql = """
        SELECT status, count(*), COALESCE(sum(quantity), 0) FROM ledger.hold_status
        WHERE kind = 'deallocation' AND connection_id = ANY($1) GROUP BY status
        """;

    public static async Task<IReadOnlyList<string>> RunAsync(
        string root,
        string connectionString,
        IReadOnlyList<BenchAccount> accounts,
        IReadOnlyList<Step> steps,
        CancellationToken cancellationToken
    )
    {
        var lines = new List<string>
        {
            await AuditVerifyAsync(root, connectionString, cancellationToken),
        };
        Guid[] connections = [.. accounts.Select(a => a.ConnectionId)];
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        lines.Add(await BalancesAsync(connection, connections, accounts.Count, cancellationToken));
        lines.AddRange(await AcknowledgedAsync(connection, connections, steps, cancellationToken));
        lines.Add(Retries(steps));
        return lines;
    }

    private static async Task<string> AuditVerifyAsync(
        string root,
        string connectionString,
        CancellationToken cancellationToken
    )
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        (int exitCode, string output) = await ChildProcess.RunAsync(
            "dotnet",
            [ApiHost.ApiDll(root), "audit", "verify"],
            new Dictionary<string, string> { ["ConnectionStrings__Ledger"] = connectionString },
            cancellationToken,
            throwOnFailure: false
        );
        string summary =
            output
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .LastOrDefault()
            ?? "";
        return exitCode == 0
            ? $"ok   audit verify: clean in {started.Elapsed.TotalSeconds:F1} s ({summary})"
            : $"FAIL audit verify exited {exitCode}:\n{output}";
    }

    private static async Task<string> BalancesAsync(
        NpgsqlConnection connection,
        Guid[] connections,
        int expectedRows,
        CancellationToken cancellationToken
    )
    {
        await using var command = new NpgsqlCommand(BalanceInvariantSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = connections });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        long broken = reader.GetInt64(0);
        long rows = reader.GetInt64(1);
        return broken == 0 && rows == expectedRows
            ? $"ok   balances: all {rows} keep funded = available + reserved + cleared, reserved = on hold"
            : $"FAIL balances: {broken} of {rows} break the invariant (expected {expectedRows} rows)";
    }

    /// <summary>
    /// What the ledger acknowledged is what it stored: each id answered "reserved" is a
    /// deallocation, in the status its last acknowledged step left it, with its quantity.
    /// </summary>
    private static async Task<IEnumerable<string>> AcknowledgedAsync(
        NpgsqlConnection connection,
        Guid[] connections,
        IReadOnlyList<Step> steps,
        CancellationToken cancellationToken
    )
    {
        var expected = new Dictionary<string, (long Count, BigInteger Sum)>();
        var final = new Dictionary<Guid, (string Status, long Quantity)>();
        foreach (Step step in steps.Where(s => s.Succeeded))
        {
            string status = step.Operation switch
            {
                Operation.Reserve => step.Rejected ? "rejected" : "reserved",
                Operation.Clear => "cleared",
                Operation.Release => "released",
                _ => "",
            };
            if (
                status.Length > 0
                && (step.Operation != Operation.Reserve || !final.ContainsKey(step.HoldId))
            )
            {
                final[step.HoldId] = (status, step.Quantity);
            }
        }
        foreach ((string status, long quantity) in final.Values)
        {
            expected[status] = expected.TryGetValue(status, out var e)
                ? (e.Count + 1, e.Sum + quantity)
                : (1, quantity);
        }
        var stored = new Dictionary<string, (long Count, BigInteger Sum)>();
        await using var command = new NpgsqlCommand(DeallocationCountsSql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = connections });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            stored[reader.GetString(0)] = (reader.GetInt64(1), reader.GetFieldValue<BigInteger>(2));
        }
        bool unknownOutcomes = steps.Any(s => s.Done && !s.Succeeded);
        return expected
            .Keys.Union(stored.Keys)
            .Order()
            .Select(status =>
            {
                var want = expected.GetValueOrDefault(status);
                var have = stored.GetValueOrDefault(status);
                bool same = want == have;
                string verdict =
                    same ? "ok  "
                    : unknownOutcomes ? "WARN"
                    : "FAIL";
                return $"{verdict} deallocations {status}: acknowledged {want.Count} ({want.Sum}), "
                    + $"stored {have.Count} ({have.Sum})";
            });
    }

    /// <summary>Scenario 4: every answer to one id is the same bytes, whichever arrived first.</summary>
    private static string Retries(IReadOnlyList<Step> steps)
    {
        var groups = steps
            .Where(s => s.KeepAnswer && s.Succeeded)
            .GroupBy(s => s.HoldId)
            .Where(g => g.Count() > 1)
            .ToList();
        int differing = groups.Count(g => g.Select(s => s.Answer).Distinct().Count() > 1);
        return differing == 0
            ? $"ok   retries: {groups.Count} ids answered more than once, each always the same"
            : $"FAIL retries: {differing} of {groups.Count} repeated ids got differing answers";
    }
}
