using Ledger.Api.Audit;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// Issue 5: audit verify finds each kind of tampering, by stream, version and field, and a
/// ledger nobody touched verifies clean. Each test has a ledger of its own.
/// </summary>
public sealed class AuditVerifyTests
{
    [Fact]
    public async Task A_clean_ledger_verifies_with_no_discrepancy_and_counts_events_and_streams()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        await ledger.CheckpointAsync();

        (AuditResult result, string report) = await ledger.VerifyAsync();

        Assert.True(result.Clean, report);
        Assert.Equal(await ledger.CountAsync("ledger.events"), result.Events);
        Assert.Equal(await ledger.CountAsync("ledger.streams"), result.Streams);
        Assert.Equal(1, result.Checkpoints);
        Assert.Contains("events/s", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Event_data_changed_by_hand_in_sql_is_reported_at_its_stream_version_and_hash()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        Guid stream = ledger.Data.ReservedDeallocation;

        await ledger.TamperAsync(
            """
            UPDATE ledger.events SET data = jsonb_set(data, '{amount,quantity}', '"1"')
            WHERE stream_id = $1 AND version = 2
            """,
            stream
        );

        (AuditResult result, string report) = await ledger.VerifyAsync();
        Assert.False(result.Clean);
        AuditAssert.Found(result, $"stream {stream:D} version 2", "hash");
        Assert.Contains(
            $"stream {stream:D} version 2 field hash: expected ",
            report,
            StringComparison.Ordinal
        );
    }

    [Fact]
    public async Task A_hash_rewritten_to_match_changed_data_is_reported_at_the_next_version()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        Guid stream = ledger.Data.ClearedAllocation;

        // The attacker recomputes the changed event's own hash with the database's function,
        // but not the hashes chained after it.
        await ledger.TamperAsync(
            """
            UPDATE ledger.events e SET
                data = jsonb_set(e.data, '{partnerAllocationId}', '"forged"'),
                hash = ledger.event_hash(
                    (SELECT p.hash FROM ledger.events p
                     WHERE p.stream_id = e.stream_id AND p.version = 1),
                    e.stream_id, e.version, e.type,
                    jsonb_set(e.data, '{partnerAllocationId}', '"forged"'), e.metadata,
                    e.recorded_at)
            WHERE e.stream_id = $1 AND e.version = 2
            """,
            stream
        );

        (AuditResult result, _) = await ledger.VerifyAsync();
        AuditAssert.NotFound(result, $"stream {stream:D} version 2", "hash");
        AuditAssert.Found(result, $"stream {stream:D} version 3", "hash");
        AuditAssert.Found(result, $"hold_status {stream:D}", "partner_reference");
    }

    [Fact]
    public async Task A_deleted_event_is_reported_as_a_version_gap_at_its_stream()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        Guid stream = ledger.Data.ClearedAllocation;

        await ledger.TamperAsync(
            "DELETE FROM ledger.events WHERE stream_id = $1 AND version = 2",
            stream
        );

        (AuditResult result, string report) = await ledger.VerifyAsync();
        Assert.Contains(
            $"stream {stream:D} version 3 field version: expected 2, found 3",
            report,
            StringComparison.Ordinal
        );
        AuditAssert.Found(result, $"stream {stream:D}", "version");
    }

    [Fact]
    public async Task A_deleted_last_event_is_reported_by_its_stream_row_and_views()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        Guid stream = ledger.Data.ClearedDeallocation;

        await ledger.TamperAsync(
            "DELETE FROM ledger.events WHERE stream_id = $1 AND version = 3",
            stream
        );

        (AuditResult result, string report) = await ledger.VerifyAsync();
        Assert.Contains(
            $"stream {stream:D} field version: expected 2 (events in the log), found 3",
            report,
            StringComparison.Ordinal
        );
        AuditAssert.Found(result, $"hold_status {stream:D}", "status");
    }

    [Fact]
    public async Task An_event_whose_stream_row_was_deleted_is_reported_at_its_stream()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        Guid stream = ledger.Data.ClearedDeallocation;

        // No foreign key holds an event to its stream row (ADR 0013): the audit does.
        await ledger.TamperAsync("DELETE FROM ledger.streams WHERE id = $1", stream);

        (AuditResult result, string report) = await ledger.VerifyAsync();
        Assert.Contains(
            $"stream {stream:D} field row: expected a ledger.streams row at version 3, found none",
            report,
            StringComparison.Ordinal
        );
        AuditAssert.Found(result, $"stream {stream:D}", "row");
    }

    [Fact]
    public async Task Two_swapped_versions_of_a_stream_are_reported_at_both_events()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        Guid stream = ledger.Data.ClearedAllocation;

        // Through a temporary version, as uq_events_stream_and_version stays in force.
        await ledger.TamperAsync(
            """
            UPDATE ledger.events SET version = 1000 WHERE stream_id = $1 AND version = 1;
            UPDATE ledger.events SET version = 1 WHERE stream_id = $1 AND version = 2;
            UPDATE ledger.events SET version = 2 WHERE stream_id = $1 AND version = 1000;
            """,
            stream
        );

        (AuditResult result, string report) = await ledger.VerifyAsync();
        Assert.Contains(
            $"stream {stream:D} version 2 field version: expected 1, found 2",
            report,
            StringComparison.Ordinal
        );
        Assert.Contains(
            $"stream {stream:D} version 1 field version: expected 3, found 1",
            report,
            StringComparison.Ordinal
        );
        AuditAssert.Found(result, $"stream {stream:D} version 1", "hash");
    }

    [Fact]
    public async Task A_balance_row_changed_by_hand_is_reported_in_field_available()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        (Guid client, Guid connection) = (
            ledger.Data.Connection.ClientId,
            ledger.Data.Connection.ConnectionId
        );

        await ledger.TamperAsync(
            """
            UPDATE ledger.balances SET available = available + 1000000
            WHERE client_id = $1 AND connection_id = $2 AND currency = 'btc'
            """,
            client,
            connection
        );

        (AuditResult result, string report) = await ledger.VerifyAsync();
        Assert.Equal(1, result.DiscrepancyCount);
        Assert.Contains(
            $"balance {client:D}/{connection:D}/btc field available: expected 650, found 1000650",
            report,
            StringComparison.Ordinal
        );
    }

    [Fact]
    public async Task A_hold_status_row_changed_by_hand_is_reported_in_field_status()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        Guid hold = ledger.Data.ReservedDeallocation;

        await ledger.TamperAsync(
            "UPDATE ledger.hold_status SET status = 'cleared' WHERE id = $1",
            hold
        );

        (AuditResult result, string report) = await ledger.VerifyAsync();
        Assert.Equal(1, result.DiscrepancyCount);
        Assert.Contains(
            $"hold_status {hold:D} field status: expected reserved, found cleared",
            report,
            StringComparison.Ordinal
        );
    }

    [Fact]
    public async Task A_deleted_connection_row_is_reported_as_missing()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        Guid connection = ledger.Data.Deactivated.ConnectionId;

        await ledger.TamperAsync(
            "DELETE FROM ledger.connections WHERE connection_id = $1",
            connection
        );

        (AuditResult result, _) = await ledger.VerifyAsync();
        Assert.Equal(1, result.DiscrepancyCount);
        Assert.Equal(
            new Discrepancy(
                $"connection {connection:D}",
                "row",
                "a ledger.connections row",
                "none"
            ),
            Assert.Single(result.Discrepancies)
        );
    }

    [Fact]
    public async Task A_stream_deleted_behind_the_log_is_reported_by_the_checkpoint_taken_before()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        StoredCheckpoint checkpoint = await ledger.CheckpointAsync();
        Guid stream = ledger.Data.RejectedAllocation;

        // A refused allocation moved no funds: without its events, stream row and status row
        // the log and the views agree, and only the checkpoint remembers it.
        await ledger.TamperAsync(
            """
            DELETE FROM ledger.events WHERE stream_id = $1;
            DELETE FROM ledger.streams WHERE id = $1;
            DELETE FROM ledger.hold_status WHERE id = $1;
            """,
            stream
        );

        (AuditResult result, string report) = await ledger.VerifyAsync();
        string subject = $"checkpoint {checkpoint.Id} at seq {checkpoint.AtSeq}";
        AuditAssert.Found(result, subject, "digest");
        Assert.Contains(
            $"{subject} field stream_count: expected {checkpoint.StreamCount - 1}, "
                + $"found {checkpoint.StreamCount}",
            report,
            StringComparison.Ordinal
        );
        Assert.All(
            result.Discrepancies,
            d => Assert.StartsWith("checkpoint ", d.Subject, StringComparison.Ordinal)
        );
    }

    [Fact]
    public async Task An_event_whose_data_no_longer_reads_is_reported_in_field_data()
    {
        await using AuditLedger ledger = await AuditLedger.CreateAsync();
        Guid stream = ledger.Data.ReleasedAllocation;

        await ledger.TamperAsync(
            """
            UPDATE ledger.events SET data = jsonb_set(data, '{amount,quantity}', '"-5"')
            WHERE stream_id = $1 AND version = 3
            """,
            stream
        );

        (AuditResult result, _) = await ledger.VerifyAsync();
        AuditAssert.Found(result, $"stream {stream:D} version 3", "data");
        AuditAssert.Found(result, $"stream {stream:D} version 3", "hash");
    }
}
