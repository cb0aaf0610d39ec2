using System.Globalization;
using System.Numerics;
using Npgsql;

namespace Ledger.Torture;

/// <summary>
/// The end checks, once every request has its answer: the log holds exactly the streams and
/// events the answers promised; the balances agree three ways (the harness's model, the view,
/// a fold of the events in SQL); no balance was ever negative; each acknowledged answer replays
/// the same; and the API's own audit verify passes.
/// </summary>
public sealed class Verifier(
    ApiProcess api,
    LedgerClient client,
    string connectionString,
    Figures figures,
    TextWriter log
)
{
    public const int ReplayParallelism = 8;
    public const int AuditSecondsMax = 600;

    private const string StreamsSql = """
        SELECT s.id, s.type, array_agg(e.type ORDER BY e.version)
        FROM ledger.streams s JOIN ledger.events e ON e.stream_id = s.id
        GROUP BY s.id, s.type
        """;

    private const string BalancesSql = """
        SELECT connection_id, currency, available::text, reserved::text, pending_credit::text
        FROM ledger.balances
        """;

    private const string HoldStatusSql = "SELECT id, status FROM ledger.hold_status";

    // The balance table of issue 3, written again in SQL so that it checks the C# one rather
    // than repeating it. Running sums in seq order: a debit always follows the credit it spent
    // (it read that credit's commit under the row lock), so no prefix may go below zero.
    private const string EventFoldSql = """
        WITH moves AS (
            SELECT seq, (data->>'connectionId')::uuid AS connection_id,
                   data->'amount'->>'currency' AS currency,
                   (data->'amount'->>'quantity')::numeric AS q, type
            FROM ledger.events
            WHERE type IN ('allocation_reserved', 'allocation_cleared', 'allocation_released',
                           'deallocation_reserved', 'deallocation_cleared', 'deallocation_released')
        ), deltas AS (
            SELECT seq, connection_id, currency,
                CASE type WHEN 'allocation_cleared' THEN q WHEN 'deallocation_reserved' THEN -q
                          WHEN 'deallocation_released' THEN q ELSE 0 END AS d_available,
                CASE type WHEN 'deallocation_reserved' THEN q WHEN 'deallocation_cleared' THEN -q
                          WHEN 'deallocation_released' THEN -q ELSE 0 END AS d_reserved,
                CASE type WHEN 'allocation_reserved' THEN q WHEN 'allocation_cleared' THEN -q
                          WHEN 'allocation_released' THEN -q ELSE 0 END AS d_pending,
                CASE type WHEN 'allocation_cleared' THEN q WHEN 'deallocation_cleared' THEN -q
                          ELSE 0 END AS d_net_in
            FROM moves
        ), running AS (
            SELECT connection_id, currency, seq,
                sum(d_available) OVER w AS available, sum(d_reserved) OVER w AS reserved,
                sum(d_pending) OVER w AS pending, sum(d_net_in) OVER w AS net_in,
                row_number() OVER (PARTITION BY connection_id, currency ORDER BY seq DESC)
                    AS from_end
            FROM deltas
            WINDOW w AS (PARTITION BY connection_id, currency ORDER BY seq)
        )
        SELECT connection_id, currency,
               available::text, reserved::text, pending::text, net_in::text,
               (SELECT count(*) FROM running r2 WHERE r2.connection_id = r.connection_id
                  AND r2.currency = r.currency
                  AND (r2.available < 0 OR r2.reserved < 0 OR r2.pending < 0)) AS negative_steps
        FROM running r WHERE from_end = 1
        """;

    public async Task VerifyAsync(
        IReadOnlyList<Worker> workers,
        SharedBalances shared,
        IReadOnlyList<Acknowledgement> setup,
        IReadOnlyList<HarnessConnection> connections,
        CancellationToken abort
    )
    {
        List<HoldModel> holds = [.. workers.SelectMany(w => w.Holds)];
        Dictionary<BalanceKey, BalanceModel> model = workers
            .SelectMany(w => w.Balances)
            .Concat(shared.Balances)
            .ToDictionary(pair => pair.Key, pair => pair.Value);
        List<Guid> neverCreated = [.. workers.SelectMany(w => w.NeverCreated)];
        await using NpgsqlDataSource database = NpgsqlDataSource.Create(connectionString);
        log.WriteLine($"verify: {holds.Count} holds, {model.Count} balances against the log");
        await CheckStreamsAsync(database, holds, connections, neverCreated, abort);
        await CheckHoldStatusAsync(database, holds, abort);
        await CheckBalancesAsync(database, model, abort);
        // After the log checks: replaying a request whose commit was lost would append it anew.
        List<Acknowledgement> acknowledged =
        [
            .. setup,
            .. workers.SelectMany(w => w.Acknowledgements),
        ];
        log.WriteLine($"verify: replaying {acknowledged.Count} acknowledged requests");
        var replay = System.Diagnostics.Stopwatch.StartNew();
        await ReplayAsync(acknowledged, abort);
        log.WriteLine($"verify: replayed in {replay.Elapsed.TotalSeconds:F0} s");
        log.WriteLine("verify: audit verify");
        await AuditVerifyAsync(abort);
    }

    private async Task ReplayAsync(
        IReadOnlyList<Acknowledgement> acknowledged,
        CancellationToken abort
    )
    {
        var options = new ParallelOptions
        {
            MaxDegreeOfParallelism = ReplayParallelism,
            CancellationToken = abort,
        };
        IEnumerable<int> indexes = Enumerable.Range(0, acknowledged.Count);
        await Parallel.ForEachAsync(
            indexes,
            options,
            async (i, ct) =>
            {
                Acknowledgement first = acknowledged[i];
                HarnessAnswer again;
                try
                {
                    again = await client.SendUntilAnsweredAsync(
                        first.Request,
                        new Random(i),
                        0,
                        ct
                    );
                }
                catch (NoAnswerException e)
                {
                    figures.Discrepancy("replay: " + e.Message);
                    return;
                }
                figures.Replay();
                if (Worker.Difference(first.Answer, again) is { } difference)
                {
                    figures.Discrepancy(
                        $"replay of {first.Request}: {difference}; "
                            + $"first {first.Answer}, now {again}"
                    );
                }
            }
        );
    }

    private async Task CheckStreamsAsync(
        NpgsqlDataSource database,
        IReadOnlyList<HoldModel> holds,
        IReadOnlyList<HarnessConnection> connections,
        IReadOnlyList<Guid> neverCreated,
        CancellationToken abort
    )
    {
        var streams = new Dictionary<Guid, (string Type, string[] Events)>();
        await using (NpgsqlCommand command = database.CreateCommand(StreamsSql))
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(abort))
        {
            while (await reader.ReadAsync(abort))
            {
                streams[reader.GetGuid(0)] = (
                    reader.GetString(1),
                    reader.GetFieldValue<string[]>(2)
                );
            }
        }
        var expected = new HashSet<Guid>();
        foreach (HoldModel hold in holds)
        {
            expected.Add(hold.Id);
            if (!streams.TryGetValue(hold.Id, out var stream))
            {
                figures.Discrepancy(
                    $"{hold.Noun} {hold.Id} ({hold.State}) was acknowledged but has no stream"
                );
                continue;
            }
            string want = string.Join(",", hold.ExpectedEventTypes);
            string got = string.Join(",", stream.Events);
            if (stream.Type != hold.Noun || want != got)
            {
                figures.Discrepancy(
                    $"{hold.Noun} {hold.Id}: expected {hold.Noun} [{want}], "
                        + $"log has {stream.Type} [{got}]"
                );
            }
        }
        foreach (HarnessConnection connection in connections)
        {
            expected.Add(connection.ConnectionId);
            if (
                !streams.TryGetValue(connection.ConnectionId, out var stream)
                || string.Join(",", stream.Events) != "connection_activated"
            )
            {
                figures.Discrepancy(
                    $"connection {connection.ConnectionId}: not exactly one activation in the log"
                );
            }
        }
        foreach (Guid id in streams.Keys.Where(id => !expected.Contains(id)))
        {
            figures.Discrepancy(
                $"stream {id} ({streams[id].Type}) matches no request that was answered"
            );
        }
        foreach (Guid id in neverCreated.Where(streams.ContainsKey))
        {
            figures.Discrepancy(
                $"stream {id} exists though its only request was a settle answered 404"
            );
        }
    }

    private async Task CheckHoldStatusAsync(
        NpgsqlDataSource database,
        IReadOnlyList<HoldModel> holds,
        CancellationToken abort
    )
    {
        var status = new Dictionary<Guid, string>();
        await using (NpgsqlCommand command = database.CreateCommand(HoldStatusSql))
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(abort))
        {
            while (await reader.ReadAsync(abort))
            {
                status[reader.GetGuid(0)] = reader.GetString(1);
            }
        }
        foreach (HoldModel hold in holds)
        {
            string want = hold.State.ToString().ToLowerInvariant();
            if (!status.TryGetValue(hold.Id, out string? got) || got != want)
            {
                figures.Discrepancy(
                    $"hold_status of {hold.Noun} {hold.Id}: expected {want}, "
                        + $"view has {got ?? "no row"}"
                );
            }
        }
        if (status.Count != holds.Count)
        {
            figures.Discrepancy($"hold_status has {status.Count} rows for {holds.Count} holds");
        }
    }

    private async Task CheckBalancesAsync(
        NpgsqlDataSource database,
        Dictionary<BalanceKey, BalanceModel> model,
        CancellationToken abort
    )
    {
        Dictionary<BalanceKey, BigInteger[]> view = await ReadAsync(
            database,
            BalancesSql,
            3,
            abort
        );
        Dictionary<BalanceKey, BigInteger[]> fold = await ReadAsync(
            database,
            EventFoldSql,
            4,
            abort
        );
        foreach (BalanceKey key in model.Keys.Union(view.Keys).Union(fold.Keys))
        {
            BalanceModel expected = model.GetValueOrDefault(key) ?? new BalanceModel();
            BigInteger[] want = [expected.Available, expected.Reserved, expected.PendingCredit];
            BigInteger[] fromView = view.GetValueOrDefault(key) ?? [0, 0, 0];
            BigInteger[] fromFold = fold.GetValueOrDefault(key) ?? [0, 0, 0, 0, 0];
            string name = $"balance {key.ConnectionId}/{key.Currency}";
            if (fromView.Any(part => part < 0))
            {
                figures.Discrepancy($"{name} is negative in the view: {Text(fromView)}");
            }
            if (fromFold[4] != 0)
            {
                figures.Discrepancy($"{name} went below zero at {fromFold[4]} points of the log");
            }
            if (!want.SequenceEqual(fromView) || !want.SequenceEqual(fromFold[..3]))
            {
                figures.Discrepancy(
                    $"{name}: model {Text(want)}, view {Text(fromView)}, "
                        + $"log {Text(fromFold[..3])}"
                );
            }
            // Conservation: what came in and was cleared, less what left, is what the client has.
            if (fromFold[3] != fromView[0] + fromView[1])
            {
                figures.Discrepancy(
                    $"{name}: cleared in - cleared out = {fromFold[3]}, "
                        + $"but available + reserved = {fromView[0] + fromView[1]}"
                );
            }
        }
    }

    private async Task AuditVerifyAsync(CancellationToken abort)
    {
        (int exitCode, string output) = await api.RunCommandAsync(
            ["audit", "verify"],
            AuditSecondsMax,
            abort
        );
        string tail = string.Join('\n', output.Split('\n').TakeLast(5));
        log.WriteLine($"verify: audit verify exit {exitCode}: {tail}");
        if (exitCode != 0)
        {
            figures.Discrepancy($"audit verify exited {exitCode}: {tail}");
        }
    }

    private static async Task<Dictionary<BalanceKey, BigInteger[]>> ReadAsync(
        NpgsqlDataSource database,
        string sql,
        int amounts,
        CancellationToken abort
    )
    {
        var rows = new Dictionary<BalanceKey, BigInteger[]>();
        await using NpgsqlCommand command = database.CreateCommand(sql);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(abort);
        while (await reader.ReadAsync(abort))
        {
            var values = new BigInteger[reader.FieldCount - 2];
            for (int i = 0; i < amounts; i++)
            {
                values[i] = BigInteger.Parse(reader.GetString(2 + i), CultureInfo.InvariantCulture);
            }
            for (int i = amounts; i < values.Length; i++)
            {
                values[i] = reader.GetInt64(2 + i);
            }
            rows[new BalanceKey(reader.GetGuid(0), reader.GetString(1))] = values;
        }
        return rows;
    }

    private static string Text(IEnumerable<BigInteger> parts) => string.Join("/", parts);
}
