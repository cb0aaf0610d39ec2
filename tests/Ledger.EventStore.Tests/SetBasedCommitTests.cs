using Ledger.EventStore.Tests.Support;

namespace Ledger.EventStore.Tests;

/// <summary>
/// A set-based commit (a settle group's, ADR 0016) writes what per-row appends would: one event
/// per stream at the next version, chained to its predecessor, under its own metadata, with
/// every stream's version checked first; a stream that moved fails the whole commit.
/// </summary>
public sealed class SetBasedCommitTests(EventStoreDatabase database)
    : IClassFixture<EventStoreDatabase>
{
    private const int StreamCount = 3;

    // Recomputes each event's hash from its stored columns and its predecessor's hash, as an
    // auditor's replay does.
    private const string ChainedEventsSql = """
        SELECT count(*) FROM ledger.events e
        JOIN ledger.events p ON p.stream_id = e.stream_id AND p.version = e.version - 1
        WHERE e.stream_id = ANY($1) AND e.hash = ledger.event_hash(
            p.hash, e.stream_id, e.version, e.type, e.data, e.metadata, e.recorded_at)
        """;

    [Fact]
    public async Task A_set_based_commit_appends_each_stream_its_event_chained_and_under_its_own_metadata()
    {
        EventStore store = database.CreateStore();
        Guid[] ids = await StartedStreamsAsync(store, versions: 2);

        await using (EventSession session = await store.BeginSessionAsync(TestEvents.Metadata))
        {
            foreach (Guid id in ids)
            {
                session.Append(
                    id,
                    TestEvents.StreamType,
                    2,
                    [new NoteAdded(id, 3, "settled")],
                    TestEvents.Metadata with
                    {
                        RequestId = $"request-{id}",
                    }
                );
            }
            await session.CommitSetBasedAsync();
        }

        foreach (Guid id in ids)
        {
            EventStream stream = (await store.FetchStreamAsync(id))!;
            Assert.Equal(3, stream.Version);
            Assert.Equal([1, 2, 3], stream.Events.Select(e => e.Version));
            Assert.Equal(new NoteAdded(id, 3, "settled"), stream.Events[2].Data);
            Assert.Equal($"request-{id}", stream.Events[2].Metadata.RequestId);
        }
        Assert.Equal(2 * StreamCount, await database.ScalarAsync<long>(ChainedEventsSql, ids));
    }

    [Fact]
    public async Task A_set_based_commit_with_one_stream_moved_is_a_concurrency_error_and_appends_nothing()
    {
        EventStore store = database.CreateStore();
        Guid[] ids = await StartedStreamsAsync(store, versions: 1);
        await Appends.AppendAsync(store, ids[^1], 1, new NoteAdded(ids[^1], 2, "moved"));
        long eventsBefore = await database.CountEventsAsync();

        await using (EventSession session = await store.BeginSessionAsync(TestEvents.Metadata))
        {
            foreach (Guid id in ids)
            {
                session.Append(id, TestEvents.StreamType, 1, [new NoteAdded(id, 2, "late")]);
            }
            await Assert.ThrowsAsync<ConcurrencyException>(() => session.CommitSetBasedAsync());
        }

        Assert.Equal(eventsBefore, await database.CountEventsAsync());
        Assert.Equal(1, await database.StreamVersionAsync(ids[0]));
        Assert.Equal(2, await database.StreamVersionAsync(ids[^1]));
    }

    [Fact]
    public async Task A_set_based_commit_refuses_a_new_stream_and_an_append_of_two_events()
    {
        EventStore store = database.CreateStore();
        Guid[] ids = await StartedStreamsAsync(store, versions: 1);
        var fresh = Guid.NewGuid();
        long eventsBefore = await database.CountEventsAsync();

        await using (EventSession starts = await store.BeginSessionAsync(TestEvents.Metadata))
        {
            starts.StartStream(fresh, TestEvents.StreamType, Appends.Notes(fresh, 1));
            await Assert.ThrowsAsync<InvalidOperationException>(() => starts.CommitSetBasedAsync());
        }
        await using (EventSession twice = await store.BeginSessionAsync(TestEvents.Metadata))
        {
            twice.Append(ids[0], TestEvents.StreamType, 1, Appends.Notes(ids[0], 2));
            await Assert.ThrowsAsync<InvalidOperationException>(() => twice.CommitSetBasedAsync());
        }

        Assert.Equal(eventsBefore, await database.CountEventsAsync());
        Assert.Null(await database.StreamVersionAsync(fresh));
    }

    private static async Task<Guid[]> StartedStreamsAsync(EventStore store, int versions)
    {
        Guid[] ids = [.. Enumerable.Range(0, StreamCount).Select(_ => Guid.NewGuid())];
        foreach (Guid id in ids)
        {
            await Appends.StartAsync(store, id, Appends.Notes(id, versions));
        }
        return ids;
    }
}
