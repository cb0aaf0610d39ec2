using System.Collections.Concurrent;
using Ledger.EventStore.Tests.Support;
using Npgsql;

namespace Ledger.EventStore.Tests;

public sealed class ConcurrencyTests(EventStoreDatabase database)
    : IClassFixture<EventStoreDatabase>
{
    private const int WritersCount = 32;

    /// <summary>Each round lets one writer in, so a writer needs at most 32 tries.</summary>
    private const int AttemptsPerWriterMax = 2 * WritersCount;

    private const int ReadersCount = 4;

    private const int ConcurrentAppendsCount = 200;

    [Fact]
    public async Task Stale_expected_version_throws_concurrency_and_appends_nothing()
    {
        EventStore store = database.CreateStore();
        var id = Guid.NewGuid();
        await Appends.StartAsync(store, id, Appends.Notes(id, 2));
        long eventsBefore = await database.CountEventsAsync();

        var stale = await Assert.ThrowsAsync<ConcurrencyException>(() =>
            Appends.AppendAsync(store, id, 1, new NoteAdded(id, 1, "stale"))
        );
        var ahead = await Assert.ThrowsAsync<ConcurrencyException>(() =>
            Appends.AppendAsync(store, id, 3, new NoteAdded(id, 1, "ahead"))
        );

        Assert.Equal(id, stale.StreamId);
        Assert.Equal(id, ahead.StreamId);
        Assert.Equal(eventsBefore, await database.CountEventsAsync());
        Assert.Equal(2, await database.StreamVersionAsync(id));
    }

    [Fact]
    public async Task Thirty_two_racing_writers_end_contiguous_and_every_loser_gets_concurrency()
    {
        EventStore store = database.CreateStore();
        var id = Guid.NewGuid();
        await Appends.StartAsync(store, id, new AccountOpened(id, "alice"));
        var race = new WriterRace(WritersCount);

        // Task.WhenAll rethrows anything but ConcurrencyException, which fails the test.
        await Task.WhenAll(
            Enumerable
                .Range(1, WritersCount)
                .Select(writer => Task.Run(() => WriteOnceAsync(store, id, writer, race)))
        );

        EventStream? stream = await store.FetchStreamAsync(id);
        Assert.NotNull(stream);
        Assert.Equal(WritersCount + 1, stream.Version);
        Assert.Equal(Enumerable.Range(1, WritersCount + 1), stream.Events.Select(e => e.Version));
        Assert.Equal(
            Enumerable.Range(1, WritersCount),
            stream.Data.OfType<NoteAdded>().Select(n => n.Writer).Order()
        );
        Assert.Equal(WritersCount + 1, await database.CountEventsAsync(id));
        // Every writer read version 1 before any appended, so all but one lost the first round.
        Assert.True(race.Losers.Count >= WritersCount - 1, $"{race.Losers.Count} losers");
        Assert.All(
            race.Losers,
            loser =>
            {
                Assert.IsType<ConcurrencyException>(loser);
                Assert.Equal(id, loser.StreamId);
            }
        );
    }

    [Fact]
    public async Task Starting_an_existing_stream_throws_already_exists_and_appends_nothing()
    {
        EventStore store = database.CreateStore();
        var id = Guid.NewGuid();
        await Appends.StartAsync(store, id, new AccountOpened(id, "alice"));
        long eventsBefore = await database.CountEventsAsync();

        // Caught as the base type, as the host does (409), then checked to be the specific one.
        var error = await Assert.ThrowsAnyAsync<ConcurrencyException>(() =>
            Appends.StartAsync(store, id, new AccountOpened(id, "mallory"))
        );

        Assert.IsType<StreamAlreadyExistsException>(error);
        Assert.Equal(id, error.StreamId);
        Assert.Equal(eventsBefore, await database.CountEventsAsync());
        Assert.Equal(1, await database.StreamVersionAsync(id));
        EventStream? stream = await store.FetchStreamAsync(id);
        Assert.Equal([new AccountOpened(id, "alice")], stream?.Data ?? []);
    }

    [Fact]
    public async Task Two_racing_starts_of_one_stream_let_exactly_one_win()
    {
        var id = Guid.NewGuid();
        await using GateProjection gate = await GateProjection.ClosedAsync(database.DataSource);
        EventStore first = database.CreateStore(gate);
        EventStore second = database.CreateStore();
        long eventsBefore = await database.CountEventsAsync();

        // The first start claims the stream row and waits at the gate, uncommitted; the second
        // then blocks on that row until the first commits, which is the tightest race there is.
        Task firstStart = Appends.StartAsync(first, id, new AccountOpened(id, "alice"));
        await database.WaitForLockWaiterAsync();
        Task secondStart = Appends.StartAsync(
            second,
            id,
            new AccountOpened(id, "bob"),
            new NoteAdded(id, 2, "bob was here")
        );
        await database.WaitForLockWaiterAsync(waitersMin: 2);
        await gate.OpenAsync();

        await firstStart;
        await Assert.ThrowsAsync<StreamAlreadyExistsException>(() => secondStart);
        EventStream? stream = await first.FetchStreamAsync(id);
        Assert.Equal([new AccountOpened(id, "alice")], stream?.Data ?? []);
        Assert.Equal(eventsBefore + 1, await database.CountEventsAsync());
    }

    [Fact]
    public async Task Expected_version_is_checked_before_a_seq_is_drawn()
    {
        EventStore store = database.CreateStore();
        var id = Guid.NewGuid();
        await Appends.StartAsync(store, id, Appends.Notes(id, 2));
        long maxSeqBefore = await database.MaxSeqAsync();

        // An identity draws its values outside the transaction: a rolled-back INSERT still
        // consumes its seq. The refused appends below leave no gap only because the session
        // claims the stream row (UPDATE ... WHERE version = expected, or INSERT ... ON CONFLICT
        // DO NOTHING) and stops on a miss before it sends the event INSERT that draws a seq.
        await Assert.ThrowsAsync<ConcurrencyException>(() =>
            Appends.AppendAsync(store, id, 1, Appends.Notes(id, 3))
        );
        await Assert.ThrowsAsync<StreamAlreadyExistsException>(() =>
            Appends.StartAsync(store, id, Appends.Notes(id, 3))
        );
        await Appends.AppendAsync(store, id, 2, new NoteAdded(id, 1, "after the refusals"));

        Assert.Equal(maxSeqBefore + 1, await database.MaxSeqAsync());
        Assert.Equal(
            maxSeqBefore + 1,
            await database.ScalarAsync<long>(
                "SELECT seq FROM ledger.events WHERE stream_id = $1 AND version = 3",
                id
            )
        );
    }

    [Fact]
    public async Task A_stale_assumption_fails_the_commit_and_writes_nothing()
    {
        EventStore store = database.CreateStore();
        var id = Guid.NewGuid();
        long maxSeqBefore = await database.MaxSeqAsync();

        await using (EventSession session = await store.BeginSessionAsync(TestEvents.Metadata))
        {
            session.Assume(new NpgsqlBatchCommand("SELECT 1 WHERE false"), 1, "one row");
            session.StartStream(id, TestEvents.StreamType, Appends.Notes(id, 1));
            var stale = await Assert.ThrowsAsync<StaleAssumptionException>(() =>
                session.CommitAsync()
            );
            Assert.Contains("one row", stale.Message);
        }

        Assert.Null(await database.StreamVersionAsync(id));
        Assert.Equal(maxSeqBefore, await database.MaxSeqAsync());
    }

    [Fact]
    public async Task A_lost_race_after_assumptions_that_hold_is_still_a_concurrency_error()
    {
        EventStore store = database.CreateStore();
        var id = Guid.NewGuid();
        await Appends.StartAsync(store, id, Appends.Notes(id, 2));
        long eventsBefore = await database.CountEventsAsync();

        await using EventSession session = await store.BeginSessionAsync(TestEvents.Metadata);
        session.Assume(new NpgsqlBatchCommand("SELECT 1"), 1, "one row");
        session.Append(id, TestEvents.StreamType, 1, [new NoteAdded(id, 1, "stale")]);
        var error = await Assert.ThrowsAsync<ConcurrencyException>(() => session.CommitAsync());

        Assert.Equal(id, error.StreamId);
        Assert.Equal(eventsBefore, await database.CountEventsAsync());
    }

    [Fact]
    public async Task An_event_store_refuses_a_data_source_that_does_not_name_failed_statements()
    {
        await using NpgsqlDataSource plain = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(database.DataSource.ConnectionString)
            {
                IncludeFailedBatchedCommand = false,
            }.ConnectionString
        );

        var error = Assert.Throws<ArgumentException>(() =>
            new EventStore(plain, TestEvents.Registry(), [])
        );

        Assert.Contains("Include Failed Batched Command", error.Message);
    }

    [Fact]
    public async Task A_unique_violation_on_stream_and_version_surfaces_as_concurrency()
    {
        EventStore store = database.CreateStore();
        var id = Guid.NewGuid();
        await Appends.StartAsync(store, id, new AccountOpened(id, "alice"));

        // A writer that bypasses the stream row inserts version 2 and holds it uncommitted. The
        // session's claim succeeds, its INSERT of version 2 waits on the unique index, and fails
        // once the intruder commits: the last line of defence, not the version check.
        await using NpgsqlConnection intruder = await database.DataSource.OpenConnectionAsync();
        await using NpgsqlTransaction transaction = await intruder.BeginTransactionAsync();
        await using (
            var insert = new NpgsqlCommand(
                """
                INSERT INTO ledger.events (stream_id, version, type, data, metadata, hash)
                VALUES ($1, 2, 'test_intruder', '{}', '{}', sha256('intruder'))
                """,
                intruder,
                transaction
            )
        )
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = id });
            await insert.ExecuteNonQueryAsync();
        }
        Task append = Appends.AppendAsync(store, id, 1, new NoteAdded(id, 1, "loser"));
        await database.WaitForLockWaiterAsync();
        await transaction.CommitAsync();

        var error = await Assert.ThrowsAsync<ConcurrencyException>(() => append);
        var cause = Assert.IsType<PostgresException>(error.InnerException);
        Assert.Equal("uq_events_stream_and_version", cause.ConstraintName);
        Assert.Equal(id, error.StreamId);
        Assert.Equal(1, await database.StreamVersionAsync(id));
        Assert.Equal(2L, await database.CountEventsAsync(id));
        Assert.Equal(
            "test_intruder",
            await database.ScalarAsync<string>(
                "SELECT type FROM ledger.events WHERE stream_id = $1 AND version = 2",
                id
            )
        );
    }

    [Fact]
    public async Task Reading_a_stream_while_it_is_appended_to_sees_one_consistent_snapshot()
    {
        EventStore store = database.CreateStore();
        var id = Guid.NewGuid();
        await Appends.StartAsync(store, id, new AccountOpened(id, "alice"));
        using var writerDone = new CancellationTokenSource();

        // The stream row and the events are two statements; a reader that let an append commit
        // between them would see them disagree and report a broken invariant.
        Task<int>[] readers =
        [
            .. Enumerable
                .Range(0, ReadersCount)
                .Select(_ => Task.Run(() => ReadUntilAsync(store, id, writerDone.Token))),
        ];
        for (int version = 1; version <= ConcurrentAppendsCount; version++)
        {
            await Appends.AppendAsync(store, id, version, new NoteAdded(id, 1, $"n{version}"));
        }
        await writerDone.CancelAsync();
        int[] reads = await Task.WhenAll(readers);

        Assert.All(reads, count => Assert.True(count > 0));
        Assert.Equal(ConcurrentAppendsCount + 1, await database.StreamVersionAsync(id));
    }

    /// <summary>
    /// One writer: read the version, append one note expecting it, and on a lost race read
    /// again. The first read of every writer happens before any append.
    /// </summary>
    private static async Task WriteOnceAsync(EventStore store, Guid id, int writer, WriterRace race)
    {
        for (int attempt = 1; attempt <= AttemptsPerWriterMax; attempt++)
        {
            EventStream stream =
                await store.FetchStreamAsync(id)
                ?? throw new InvalidOperationException("the stream vanished");
            if (attempt == 1)
            {
                await race.ArriveAndWaitAsync();
            }
            try
            {
                await Appends.AppendAsync(
                    store,
                    id,
                    stream.Version,
                    new NoteAdded(id, writer, "hi")
                );
                return;
            }
            catch (ConcurrencyException e)
            {
                race.Losers.Add(e);
            }
        }
        throw new InvalidOperationException($"writer {writer} lost {AttemptsPerWriterMax} times");
    }

    /// <summary>Reads the stream until told to stop; every read must be whole.</summary>
    private static async Task<int> ReadUntilAsync(EventStore store, Guid id, CancellationToken stop)
    {
        int reads = 0;
        while (!stop.IsCancellationRequested)
        {
            EventStream stream =
                await store.FetchStreamAsync(id)
                ?? throw new InvalidOperationException("the stream vanished");
            Assert.Equal(stream.Version, stream.Events.Count);
            reads++;
        }
        return reads;
    }

    private sealed class WriterRace(int writersCount)
    {
        private readonly TaskCompletionSource _allArrived = new(
            TaskCreationOptions.RunContinuationsAsynchronously
        );

        private int _arrived;

        public ConcurrentBag<ConcurrencyException> Losers { get; } = [];

        public Task ArriveAndWaitAsync()
        {
            if (Interlocked.Increment(ref _arrived) == writersCount)
            {
                _allArrived.SetResult();
            }
            return _allArrived.Task;
        }
    }
}
