using System.Net;
using Ledger.Api.Audit;
using Ledger.Api.Hosting;
using Ledger.Api.Tests.Support;
using Npgsql;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// Issue 5: projections rebuild rebuilds every view from the events while the service runs,
/// loses no event appended meanwhile, and never shows a reader a half-built view.
/// </summary>
public sealed class ProjectionRebuildTests
{
    // Every column of every view, in a stable order: what a reader sees.
    private const string ViewsSql = """
        SELECT (SELECT string_agg(b::text, E'\n' ORDER BY b::text) FROM ledger.balances b)
            || E'\n'
            || (SELECT string_agg(h::text, E'\n' ORDER BY h::text) FROM ledger.hold_status h)
            || E'\n'
            || (SELECT string_agg(c::text, E'\n' ORDER BY c::text) FROM ledger.connections c)
        """;

    [Fact]
    public async Task Rebuild_writes_views_equal_to_the_live_ones_column_for_column()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        string before = (await ledger.ScalarAsync<string>(ViewsSql))!;

        RebuildResult result = await RebuildAsync(ledger);

        Assert.Equal(before, await ledger.ScalarAsync<string>(ViewsSql));
        Assert.Equal(await ledger.CountAsync("ledger.events"), result.Events);
        Assert.Equal(0, result.RowsChanged);
    }

    [Fact]
    public async Task Rebuild_repairs_view_rows_changed_deleted_or_added_by_hand()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        string before = (await ledger.ScalarAsync<string>(ViewsSql))!;
        await ledger.TamperAsync(
            """
            UPDATE ledger.balances SET available = 1;
            INSERT INTO ledger.hold_status (id, kind, client_id, connection_id,
                partners_connection_id, partner_client_id, currency, quantity, status, version)
            SELECT gen_random_uuid(), kind, client_id, connection_id, partners_connection_id,
                partner_client_id, currency, quantity, status, version
            FROM ledger.hold_status WHERE id = $1;
            DELETE FROM ledger.hold_status WHERE id = $1;
            UPDATE ledger.connections SET active = true;
            """,
            ledger.Data.ClearedAllocation
        );

        RebuildResult result = await RebuildAsync(ledger);

        Assert.Equal(before, await ledger.ScalarAsync<string>(ViewsSql));
        Assert.Equal(1 + 1 + 1 + 1, result.RowsChanged);
        Assert.True((await ledger.VerifyAsync()).Result.Clean);
    }

    [Fact]
    public async Task Rebuild_includes_events_appended_after_its_first_pass()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        BitGoClient bitgo = ledger.Fixture.BitGo();
        Guid late = Guid.Empty;

        RebuildResult result = await RebuildAsync(
            ledger,
            async _ =>
            {
                late = await LedgerData.AllocateAsync(bitgo, ledger.Data.Connection, "40");
                await LedgerData.SettleAsync(bitgo, "allocation", late, "clear");
            }
        );

        Assert.Equal(3, result.CatchUpEvents);
        Assert.Equal(
            "cleared",
            await ledger.ScalarAsync<string>(
                "SELECT status FROM ledger.hold_status WHERE id = $1",
                late
            )
        );
        Assert.True((await ledger.VerifyAsync()).Result.Clean);
    }

    [Fact]
    public async Task Rebuild_includes_an_append_with_a_seq_below_the_first_pass_committed_later()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        BitGoClient bitgo = ledger.Fixture.BitGo();
        Guid slow = await LedgerData.AllocateAsync(bitgo, ledger.Data.Connection, "30");
        var (clear, holder, held) = await ledger.StartClearHeldInFlightAsync(slow);
        await using NpgsqlConnection _ = holder;
        // A later append commits, so the clear's seq is a gap below the first pass's highest.
        await LedgerData.AllocateAsync(bitgo, ledger.Data.Deactivated, "1");

        RebuildResult result = await RebuildAsync(
            ledger,
            async _ =>
            {
                await held.RollbackAsync();
                (await clear).AssertStatus(HttpStatusCode.OK);
            }
        );

        Assert.Equal(1, result.CatchUpEvents);
        Assert.Equal(
            "cleared",
            await ledger.ScalarAsync<string>(
                "SELECT status FROM ledger.hold_status WHERE id = $1",
                slow
            )
        );
        Assert.True((await ledger.VerifyAsync()).Result.Clean);
    }

    [Fact]
    public async Task A_reader_during_the_swap_sees_every_view_row_or_waits_never_a_partial_view()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        long holds = await ledger.ScalarAsync<long>("SELECT count(*) FROM ledger.hold_status");
        var counts = new List<long>();
        using var stop = new CancellationTokenSource();
        Task? reader = null;

        await RebuildAsync(
            ledger,
            _ =>
            {
                reader = ReadCountsAsync(ledger.ConnectionString, counts, stop.Token);
                return Task.Delay(50);
            }
        );
        await stop.CancelAsync();
        await reader!;

        Assert.NotEmpty(counts);
        Assert.All(counts, count => Assert.Equal(holds, count));
    }

    [Fact]
    public async Task Rebuild_reports_events_done_and_events_per_second_on_its_progress_writer()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        var progress = new StringWriter();

        await using NpgsqlDataSource dataSource = ledger.DataSource();
        RebuildResult result = await new ProjectionRebuilder(
            dataSource,
            LedgerEvents.CreateRegistry(),
            progress
        ).RebuildAsync();

        Assert.Matches(
            $"^rebuild: {result.Events} events done in [0-9.]+ s, [0-9,]+ events/s",
            progress.ToString()
        );
    }

    private static async Task<RebuildResult> RebuildAsync(
        AuditLedger ledger,
        Func<CancellationToken, Task>? afterFirstPass = null
    )
    {
        await using NpgsqlDataSource dataSource = ledger.DataSource();
        return await new ProjectionRebuilder(dataSource, LedgerEvents.CreateRegistry())
        {
            AfterFirstPass = afterFirstPass,
        }.RebuildAsync();
    }

    private static async Task ReadCountsAsync(
        string connectionString,
        List<long> counts,
        CancellationToken cancellationToken
    )
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        while (!cancellationToken.IsCancellationRequested)
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM ledger.hold_status",
                connection
            );
            counts.Add((long)(await command.ExecuteScalarAsync(CancellationToken.None))!);
        }
    }
}
