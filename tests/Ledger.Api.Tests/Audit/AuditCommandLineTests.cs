using System.Text;
using Ledger.Api.Audit;
using Ledger.Api.Cli;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// Issue 5's command line: the commands run through LedgerCli as the host's executable runs
/// them, reading the database from configuration. Exit codes: 0 ok, 1 discrepancies, 2 error.
/// </summary>
public sealed class AuditCommandLineTests
{
    [Fact]
    public async Task Audit_verify_exits_0_on_a_clean_ledger_and_1_once_a_balance_is_changed()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        (int clean, string cleanOutput, _) = await RunAsync(ledger, "audit", "verify");
        await ledger.TamperAsync("UPDATE ledger.balances SET reserved = reserved + 1");

        (int tampered, string output, _) = await RunAsync(ledger, "audit", "verify");

        Assert.Equal(ExitCodes.Ok, clean);
        Assert.Contains("verify: everything matches", cleanOutput, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Discrepancies, tampered);
        Assert.Contains(
            "field reserved: expected 100, found 101",
            output,
            StringComparison.Ordinal
        );
    }

    [Fact]
    public async Task Audit_checkpoint_records_a_checkpoint_at_the_last_seq()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();

        (int code, string output, _) = await RunAsync(ledger, "audit", "checkpoint");

        long lastSeq = await ledger.ScalarAsync<long>("SELECT max(seq) FROM ledger.events");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(
            lastSeq,
            await ledger.ScalarAsync<long>("SELECT at_seq FROM ledger.checkpoints")
        );
        Assert.Contains($"at seq {lastSeq}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Projections_rebuild_exits_0_and_shows_events_per_second_on_stderr()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();

        (int code, string output, string error) = await RunAsync(ledger, "projections", "rebuild");

        Assert.Equal(ExitCodes.Ok, code);
        Assert.Contains("rebuilt the views from", output, StringComparison.Ordinal);
        Assert.Contains("events/s", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_writes_csv_to_the_output_file()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        string file = Path.Combine(Path.GetTempPath(), $"ledger-export-{Guid.NewGuid():N}.csv");
        try
        {
            (int code, _, _) = await RunAsync(
                ledger,
                "export",
                "--from",
                "2000-01-01T00:00:00Z",
                "--to",
                "2100-01-01T00:00:00+02:00",
                "--format",
                "csv",
                "--output",
                file
            );

            Assert.Equal(ExitCodes.Ok, code);
            long events = await ledger.ScalarAsync<long>("SELECT count(*) FROM ledger.events");
            Assert.Equal(events + 1, File.ReadAllLines(file).Length);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("2026-01-01T00:00:00")]
    [InlineData("yesterday")]
    public async Task Export_with_a_from_that_is_not_rfc3339_with_an_offset_exits_2(string from)
    {
        var error = new StringWriter();
        var context = new CliContext(
            new Dictionary<string, string?>(),
            new StringWriter(),
            error,
            () => new MemoryStream()
        );

        int code = await LedgerCli.RunAsync(
            ["export", "--from", from, "--to", "2026-01-02T00:00:00Z", "--format", "ndjson"],
            context
        );

        Assert.Equal(ExitCodes.Error, code);
        Assert.Contains("RFC 3339", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_option_exits_2()
    {
        var context = new CliContext(
            new Dictionary<string, string?>(),
            new StringWriter(),
            new StringWriter(),
            () => new MemoryStream()
        );

        int code = await LedgerCli.RunAsync(["audit", "verify", "--fast"], context);

        Assert.Equal(ExitCodes.Error, code);
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_exits_2()
    {
        var error = new StringWriter();
        var context = new CliContext(
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:Ledger"] =
                    "Host=127.0.0.1;Port=1;Username=x;Password=x;Timeout=2",
            },
            new StringWriter(),
            error,
            () => new MemoryStream()
        );

        int code = await LedgerCli.RunAsync(["audit", "verify"], context);

        Assert.Equal(ExitCodes.Error, code);
        Assert.StartsWith("error: ", error.ToString(), StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(
        AuditLedger ledger,
        params string[] args
    )
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var stdout = new MemoryStream();
        var context = new CliContext(
            new Dictionary<string, string?>
            {
                ["ConnectionStrings:Ledger"] = ledger.ConnectionString,
            },
            output,
            error,
            () => stdout
        );
        int code = await LedgerCli.RunAsync(args, context);
        return (code, output + Encoding.UTF8.GetString(stdout.ToArray()), error.ToString());
    }
}
