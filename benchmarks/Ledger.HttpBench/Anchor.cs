using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Npgsql;

namespace Ledger.HttpBench;

/// <summary>One pgbench run of the anchor script: transactions per second and mean latency.</summary>
public sealed record AnchorResult(
    double TransactionsPerSecond,
    double LatencyAverageMilliseconds,
    long Transactions,
    long Failed
)
{
    /// <summary>pgbench's CPU as the client's, and PostgreSQL's, during the run.</summary>
    public CpuUse? Cpu { get; init; }
}

/// <summary>
/// The physical limit (issue 8): a pgbench script that does in one transaction what a
/// reservation must do at minimum, against its own schema in the same database, with the same
/// client count as the ledger.
/// </summary>
public static partial class Anchor
{
    private const int PgbenchThreads = 2;

    // pgbench exits by itself after -T; this only catches one that hangs.
    private const int PgbenchGraceSeconds = 60;

    public static async Task PrepareAsync(
        string connectionString,
        CancellationToken cancellationToken
    )
    {
        string sql = Resource("anchor-setup.sql")
            .Replace(
                "@accounts@",
                BenchOptions.AccountCount.ToString(CultureInfo.InvariantCulture),
                StringComparison.Ordinal
            );
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
        // VACUUM runs outside any transaction or pipeline, so on its own.
        await using var vacuum = new NpgsqlCommand("VACUUM ANALYZE anchor.balances", connection);
        await vacuum.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<AnchorResult> RunAsync(
        string connectionString,
        int clients,
        int seconds,
        CancellationToken cancellationToken
    )
    {
        string script = Path.Combine(
            Path.GetTempPath(),
            $"ledger-anchor-{Environment.ProcessId}.sql"
        );
        await File.WriteAllTextAsync(script, Resource("anchor.sql"), cancellationToken);
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            var start = new ProcessStartInfo("pgbench")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (
                string argument in (string[])
                    [
                        "-h",
                        builder.Host!,
                        "-p",
                        builder.Port.ToString(CultureInfo.InvariantCulture),
                        "-U",
                        builder.Username!,
                        "-n",
                        "-f",
                        script,
                        "-c",
                        clients.ToString(CultureInfo.InvariantCulture),
                        "-j",
                        Math.Min(PgbenchThreads, clients).ToString(CultureInfo.InvariantCulture),
                        "-T",
                        seconds.ToString(CultureInfo.InvariantCulture),
                        "-D",
                        $"accounts={BenchOptions.AccountCount}",
                        builder.Database!,
                    ]
            )
            {
                start.ArgumentList.Add(argument);
            }
            start.Environment["PGPASSWORD"] = builder.Password ?? "";
            using Process process =
                Process.Start(start)
                ?? throw new InvalidOperationException("pgbench did not start (is it installed?)");
            Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(seconds + PgbenchGraceSeconds));
            await process.WaitForExitAsync(timeout.Token);
            string text = await output;
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"pgbench failed ({process.ExitCode}): {await error}{text}"
                );
            }
            return Parse(text);
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static AnchorResult Parse(string output)
    {
        Match tps = TpsPattern().Match(output);
        Match latency = LatencyPattern().Match(output);
        Match processed = ProcessedPattern().Match(output);
        Match failed = FailedPattern().Match(output);
        if (!tps.Success || !latency.Success || !processed.Success)
        {
            throw new InvalidOperationException($"pgbench output not understood:\n{output}");
        }
        return new AnchorResult(
            double.Parse(tps.Groups[1].Value, CultureInfo.InvariantCulture),
            double.Parse(latency.Groups[1].Value, CultureInfo.InvariantCulture),
            long.Parse(processed.Groups[1].Value, CultureInfo.InvariantCulture),
            failed.Success ? long.Parse(failed.Groups[1].Value, CultureInfo.InvariantCulture) : 0
        );
    }

    private static string Resource(string name)
    {
        using Stream stream =
            Assembly.GetExecutingAssembly().GetManifestResourceStream("Ledger.HttpBench." + name)
            ?? throw new InvalidOperationException($"resource {name} missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"tps = ([0-9.]+) \(without initial connection time\)")]
    private static partial Regex TpsPattern();

    [GeneratedRegex(@"latency average = ([0-9.]+) ms")]
    private static partial Regex LatencyPattern();

    [GeneratedRegex(@"number of transactions actually processed: ([0-9]+)")]
    private static partial Regex ProcessedPattern();

    [GeneratedRegex(@"number of failed transactions: ([0-9]+)")]
    private static partial Regex FailedPattern();
}
