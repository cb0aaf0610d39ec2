using System.Diagnostics;
using Ledger.EventStore.Tests.Support;

namespace Ledger.EventStore.Tests;

public sealed class ReplayTests(EventStoreDatabase database) : IClassFixture<EventStoreDatabase>
{
    private const int StreamsCount = 1_000;
    private const int EventsPerStream = 10;
    private const int StreamsPerSession = 10;
    private const int SeedingWritersCount = 4;

    /// <summary>Does not divide 10,000, so the last page is a short one.</summary>
    private const int BatchSize = 999;

    private static readonly TimeSpan ReplayDurationMax = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Replay_returns_every_event_exactly_once_in_seq_order_in_batches()
    {
        var stopwatch = Stopwatch.StartNew();
        EventStore store = database.CreateStore();
        Guid[] streamIds = [.. Enumerable.Range(0, StreamsCount).Select(_ => Guid.NewGuid())];
        await SeedAsync(store, streamIds);

        var pages = new List<IReadOnlyList<StoredEvent>>();
        await foreach (IReadOnlyList<StoredEvent> page in store.ReadAllAsync(batchSize: BatchSize))
        {
            pages.Add(page);
        }

        const int eventsCount = StreamsCount * EventsPerStream;
        StoredEvent[] all = [.. pages.SelectMany(p => p)];
        Assert.Equal((eventsCount + BatchSize - 1) / BatchSize, pages.Count);
        Assert.All(pages, page => Assert.InRange(page.Count, 1, BatchSize));
        Assert.Equal(eventsCount, all.Length);
        Assert.All(all.Zip(all.Skip(1)), pair => Assert.True(pair.First.Seq < pair.Second.Seq));
        Assert.Equal(
            streamIds.SelectMany(id => Notes(id)).Order().ToArray(),
            all.Select(e => e.Data).Cast<NoteAdded>().Select(Key).Order().ToArray()
        );
        Assert.All(all, e => Assert.Equal(e.Version, ((NoteAdded)e.Data).Writer));
        Assert.True(
            stopwatch.Elapsed < ReplayDurationMax,
            $"seed and replay took {stopwatch.Elapsed}"
        );
    }

    /// <summary>Sessions of 10 new streams of 10 events each, four sessions at a time.</summary>
    private static async Task SeedAsync(EventStore store, Guid[] streamIds)
    {
        await Parallel.ForEachAsync(
            streamIds.Chunk(StreamsPerSession),
            new ParallelOptions { MaxDegreeOfParallelism = SeedingWritersCount },
            async (chunk, cancellationToken) =>
            {
                await using EventSession session = await store.BeginSessionAsync(
                    TestEvents.Metadata,
                    cancellationToken
                );
                foreach (Guid id in chunk)
                {
                    session.StartStream(
                        id,
                        TestEvents.StreamType,
                        [.. Enumerable.Range(1, EventsPerStream).Select(v => Note(id, v))]
                    );
                }
                await session.CommitAsync(cancellationToken);
            }
        );
    }

    /// <summary>A note that carries its version, so the replay can check where it landed.</summary>
    private static NoteAdded Note(Guid id, int version) => new(id, version, $"v{version}");

    private static IEnumerable<string> Notes(Guid id) =>
        Enumerable.Range(1, EventsPerStream).Select(v => Key(Note(id, v)));

    private static string Key(NoteAdded note) => $"{note.AccountId}/{note.Writer}/{note.Text}";
}
