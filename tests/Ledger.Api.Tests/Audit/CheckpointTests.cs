using System.Net;
using Ledger.Api.Audit;
using Ledger.Api.Hosting;
using Ledger.Api.Tests.Support;
using Ledger.EventStore;
using Ledger.Testing;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// Issue 5: a checkpoint records the stream heads as of a seq, on demand and at intervals.
/// </summary>
public sealed class CheckpointTests
{
    [Fact]
    public async Task A_checkpoint_counts_the_streams_and_events_up_to_the_last_seq()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();

        StoredCheckpoint checkpoint = await ledger.CheckpointAsync();

        Assert.Equal(
            await ledger.ScalarAsync<long>("SELECT max(seq) FROM ledger.events"),
            checkpoint.AtSeq
        );
        Assert.Equal(await ledger.CountAsync("ledger.streams"), checkpoint.StreamCount);
        Assert.Equal(await ledger.CountAsync("ledger.events"), checkpoint.EventCount);
        Assert.Equal(EventHash.HashBytes, checkpoint.Digest.Length);
    }

    [Fact]
    public async Task A_checkpoint_waits_for_an_append_in_flight_so_its_digest_stays_true()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        BitGoClient bitgo = ledger.Fixture.BitGo();
        Guid slow = await LedgerData.AllocateAsync(bitgo, ledger.Data.Connection, "30");
        var (clear, holder, held) = await ledger.StartClearHeldInFlightAsync(slow);
        await using NpgsqlConnection _ = holder;
        // A later append commits: its seq is above the in-flight clear's.
        await LedgerData.AllocateAsync(bitgo, ledger.Data.Deactivated, "1");

        Task<StoredCheckpoint> checkpoint = ledger.CheckpointAsync();
        await ledger.WaitForLockWaitersAsync(2);
        await held.RollbackAsync();
        (await clear).AssertStatus(HttpStatusCode.OK);

        Assert.Equal(
            await ledger.ScalarAsync<long>("SELECT max(seq) FROM ledger.events"),
            (await checkpoint).AtSeq
        );
        Assert.True((await ledger.VerifyAsync()).Result.Clean);
    }

    [Fact]
    public async Task The_interval_checkpoint_is_skipped_when_nothing_was_appended_since_the_last()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        await ledger.CheckpointAsync();
        await using NpgsqlDataSource dataSource = ledger.DataSource();

        StoredCheckpoint? skipped = await new CheckpointWriter(dataSource).WriteAsync(
            onlyIfNew: true,
            CancellationToken.None
        );

        Assert.Null(skipped);
        Assert.Equal(1, await ledger.ScalarAsync<long>("SELECT count(*) FROM ledger.checkpoints"));
    }

    [Fact]
    public async Task An_empty_log_gets_no_checkpoint()
    {
        string connectionString = await TestPostgres.CreateDatabaseAsync();
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(connectionString);
        await SchemaApplier.ApplyAsync(dataSource, LedgerDatabase.Scripts);

        StoredCheckpoint? none = await new CheckpointWriter(dataSource).WriteAsync(
            onlyIfNew: false,
            CancellationToken.None
        );

        Assert.Null(none);
    }

    [Theory]
    [InlineData(null, 3_600)]
    [InlineData("60", 60)]
    public void The_checkpoint_interval_is_read_from_audit_settings(string? setting, int seconds)
    {
        IConfiguration configuration = Configuration(setting);

        Assert.Equal(TimeSpan.FromSeconds(seconds), CheckpointService.Interval(configuration));
    }

    [Theory]
    [InlineData("5")]
    [InlineData("-60")]
    [InlineData("hourly")]
    public void A_checkpoint_interval_below_the_minimum_or_not_a_number_is_refused(string setting)
    {
        IConfiguration configuration = Configuration(setting);

        Assert.Throws<InvalidOperationException>(() => CheckpointService.Interval(configuration));
    }

    private static IConfiguration Configuration(string? interval) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(
                new Dictionary<string, string?> { [CheckpointService.IntervalSetting] = interval }
            )
            .Build();
}
