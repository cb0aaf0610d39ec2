using Ledger.EventStore.Tests.Support;
using Npgsql;

namespace Ledger.EventStore.Tests;

public sealed class ProjectionTests(EventStoreDatabase database) : IClassFixture<EventStoreDatabase>
{
    [Fact]
    public async Task An_inline_projection_commits_its_rows_with_the_events()
    {
        var id = Guid.NewGuid();

        await Appends.StartAsync(
            database.CreateStore(new NoteProjection()),
            id,
            Appends.Notes(id, 2)
        );

        Assert.Equal(2L, await database.CountEventsAsync(id));
        Assert.Equal(
            "note 1|note 2",
            await database.ScalarAsync<string>(
                """
                SELECT string_agg(note, '|' ORDER BY version) FROM projected_notes
                WHERE stream_id = $1
                """,
                id
            )
        );
    }

    [Fact]
    public async Task An_inline_projection_leaves_no_rows_when_its_append_fails()
    {
        // The note row is inserted in the same batch, then the second projection's row-count
        // check fails: the rollback must take the already executed note insert with it.
        var id = Guid.NewGuid();
        EventStore store = database.CreateStore(
            new NoteProjection(),
            new UpdateMissingRowProjection()
        );

        await Assert.ThrowsAsync<EventStoreInvariantException>(() =>
            Appends.StartAsync(store, id, Appends.Notes(id, 2))
        );

        await AssertNothingAppendedAsync(id);
        Assert.Equal(0L, await CountNotesAsync(id));
    }

    [Fact]
    public async Task A_projection_that_throws_rolls_back_the_append()
    {
        var id = Guid.NewGuid();
        EventStore store = database.CreateStore(new ThrowingProjection());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Appends.StartAsync(store, id, Appends.Notes(id, 2))
        );

        Assert.Equal(ThrowingProjection.Message, error.Message);
        await AssertNothingAppendedAsync(id);
    }

    [Fact]
    public async Task A_projection_whose_statement_fails_rolls_back_the_append()
    {
        var id = Guid.NewGuid();
        EventStore store = database.CreateStore(new MissingTableProjection());

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            Appends.StartAsync(store, id, Appends.Notes(id, 2))
        );

        Assert.Equal(PostgresErrorCodes.UndefinedTable, error.SqlState);
        await AssertNothingAppendedAsync(id);
    }

    [Fact]
    public async Task A_projection_row_count_not_met_rolls_back_with_an_invariant_exception()
    {
        var id = Guid.NewGuid();
        EventStore store = database.CreateStore(new UpdateMissingRowProjection());

        var error = await Assert.ThrowsAsync<EventStoreInvariantException>(() =>
            Appends.StartAsync(store, id, Appends.Notes(id, 1))
        );

        Assert.Contains(UpdateMissingRowProjection.Invariant, error.Message);
        await AssertNothingAppendedAsync(id);
    }

    [Fact]
    public async Task A_failing_projection_on_an_existing_stream_leaves_its_version_unchanged()
    {
        var id = Guid.NewGuid();
        await Appends.StartAsync(database.CreateStore(), id, Appends.Notes(id, 1));

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Appends.AppendAsync(
                database.CreateStore(new ThrowingProjection()),
                id,
                1,
                new NoteAdded(id, 1, "lost")
            )
        );

        Assert.Equal(1, await database.StreamVersionAsync(id));
        Assert.Equal(1L, await database.CountEventsAsync(id));
    }

    // A group commits in the round trip of its inserts (ADR 0010): its checks run in the server.
    [Fact]
    public async Task A_group_commits_its_projection_rows_with_its_events()
    {
        var id = Guid.NewGuid();

        await CommitGroupAsync(database.CreateStore(new NoteProjection()), id);

        Assert.Equal(2L, await database.CountEventsAsync(id));
        Assert.Equal(2L, await CountNotesAsync(id));
    }

    [Fact]
    public async Task A_group_whose_projection_row_count_is_not_met_fails_in_the_server_and_commits_nothing()
    {
        var id = Guid.NewGuid();
        EventStore store = database.CreateStore(
            new NoteProjection(),
            new UpdateMissingRowProjection()
        );

        var error = await Assert.ThrowsAsync<EventStoreInvariantException>(() =>
            CommitGroupAsync(store, id)
        );

        Assert.Contains(UpdateMissingRowProjection.Invariant, error.Message);
        await AssertNothingAppendedAsync(id);
        Assert.Equal(0L, await CountNotesAsync(id));
    }

    [Fact]
    public async Task A_group_whose_statement_fails_never_runs_the_commit_queued_behind_it()
    {
        var id = Guid.NewGuid();
        EventStore store = database.CreateStore(new MissingTableProjection());

        var error = await Assert.ThrowsAsync<PostgresException>(() => CommitGroupAsync(store, id));

        Assert.Equal(PostgresErrorCodes.UndefinedTable, error.SqlState);
        await AssertNothingAppendedAsync(id);
    }

    // A group that decided before it read claims in its commit's round trip, with its
    // assumptions checked first in the server (ADR 0010).
    [Fact]
    public async Task A_group_claiming_in_its_commit_starts_its_streams_in_that_round_trip()
    {
        var id = Guid.NewGuid();

        await CommitClaimingInCommitAsync(database.CreateStore(new NoteProjection()), [id], []);

        Assert.Equal(2L, await database.CountEventsAsync(id));
        Assert.Equal(2L, await CountNotesAsync(id));
    }

    [Fact]
    public async Task A_group_claiming_in_its_commit_an_id_a_stream_holds_fails_as_stale_and_writes_nothing()
    {
        var taken = Guid.NewGuid();
        var fresh = Guid.NewGuid();
        EventStore store = database.CreateStore(new NoteProjection());
        await CommitGroupAsync(store, taken);

        await Assert.ThrowsAsync<StaleAssumptionException>(() =>
            CommitClaimingInCommitAsync(store, [fresh, taken], [])
        );

        Assert.Equal(2L, await database.CountEventsAsync(taken));
        await AssertNothingAppendedAsync(fresh);
        Assert.Equal(0L, await CountNotesAsync(fresh));
    }

    [Fact]
    public async Task A_group_whose_assumption_no_longer_holds_fails_as_stale_and_writes_nothing()
    {
        var id = Guid.NewGuid();
        NpgsqlBatchCommand noRow = GroupSession.Assumed(
            new NpgsqlBatchCommand("SELECT 1 WHERE false"),
            1,
            "a row that is gone"
        );

        var error = await Assert.ThrowsAsync<StaleAssumptionException>(() =>
            CommitClaimingInCommitAsync(database.CreateStore(new NoteProjection()), [id], [noRow])
        );

        Assert.Contains("a row that is gone", error.Message);
        await AssertNothingAppendedAsync(id);
        Assert.Equal(0L, await CountNotesAsync(id));
    }

    /// <summary>Claims in the commit, starts and commits two-event streams as a group.</summary>
    private static async Task CommitClaimingInCommitAsync(
        EventStore store,
        IReadOnlyList<Guid> ids,
        IReadOnlyList<NpgsqlBatchCommand> assumptions
    )
    {
        await using GroupSession group = await store.BeginGroupSessionAsync();
        group.ClaimInCommit(
            [.. ids.Select(id => new NewStream(id, TestEvents.StreamType, 2))],
            [],
            assumptions
        );
        foreach (Guid id in ids)
        {
            group.StartStream(id, Appends.Notes(id, 2), TestEvents.Metadata);
        }
        await group.CommitAsync();
    }

    /// <summary>Claims, starts and commits one two-event stream as a group.</summary>
    private static async Task CommitGroupAsync(EventStore store, Guid id)
    {
        await using GroupSession group = await store.BeginGroupSessionAsync();
        await group.ClaimNewStreamsAsync(
            [new NewStream(id, TestEvents.StreamType, 2)],
            GroupStatements.None,
            GroupStatements.None,
            CancellationToken.None
        );
        group.StartStream(id, Appends.Notes(id, 2), TestEvents.Metadata);
        await group.CommitAsync();
    }

    private Task<long> CountNotesAsync(Guid id) =>
        database.ScalarAsync<long>("SELECT count(*) FROM projected_notes WHERE stream_id = $1", id);

    private async Task AssertNothingAppendedAsync(Guid id)
    {
        Assert.Equal(0L, await database.CountEventsAsync(id));
        Assert.Null(await database.StreamVersionAsync(id));
    }

    /// <summary>One row per note, keyed like the event.</summary>
    private sealed class NoteProjection : IInlineProjection
    {
        private const string InsertNote =
            "INSERT INTO projected_notes (stream_id, version, note) VALUES ($1, $2, $3)";

        public void Project(IReadOnlyList<PendingEvent> events, ProjectionBatch batch)
        {
            foreach (PendingEvent e in events)
            {
                if (e.Data is NoteAdded note)
                {
                    batch.Add(
                        InsertNote,
                        [e.StreamId, e.Version, note.Text],
                        expectedRows: 1,
                        invariant: "note inserted"
                    );
                }
            }
        }
    }

    private sealed class ThrowingProjection : IInlineProjection
    {
        public const string Message = "projection bug";

        public void Project(IReadOnlyList<PendingEvent> events, ProjectionBatch batch) =>
            throw new InvalidOperationException(Message);
    }

    private sealed class MissingTableProjection : IInlineProjection
    {
        public void Project(IReadOnlyList<PendingEvent> events, ProjectionBatch batch) =>
            batch.Add("INSERT INTO no_such_table (stream_id) VALUES ($1)", [events[0].StreamId]);
    }

    /// <summary>Expects a row that no one created: the invariant check must catch it.</summary>
    private sealed class UpdateMissingRowProjection : IInlineProjection
    {
        public const string Invariant = "note row exists before its update";

        private const string UpdateVersionZero =
            "UPDATE projected_notes SET note = 'updated' WHERE stream_id = $1 AND version = 0";

        public void Project(IReadOnlyList<PendingEvent> events, ProjectionBatch batch) =>
            batch.Add(
                UpdateVersionZero,
                [events[0].StreamId],
                expectedRows: 1,
                invariant: Invariant
            );
    }
}
