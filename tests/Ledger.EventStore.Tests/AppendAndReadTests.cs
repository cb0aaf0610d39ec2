using Ledger.EventStore.Tests.Support;

namespace Ledger.EventStore.Tests;

public sealed class AppendAndReadTests(EventStoreDatabase database)
    : IClassFixture<EventStoreDatabase>
{
    private static readonly TimeSpan ClockSkewMax = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Round_trip_keeps_alias_data_metadata_and_order_and_sets_recorded_at_and_seq()
    {
        EventStore store = database.CreateStore();
        var id = Guid.NewGuid();
        object[] first =
        [
            new AccountOpened(id, "alice"),
            new FundsDeposited(id, "12345678901234567890"),
        ];
        object[] second = [new NoteAdded(id, 7, "checked")];
        var laterMetadata = new EventMetadata("bitgo", "correlation-2", null, null);
        DateTimeOffset before = DateTimeOffset.UtcNow;

        await Appends.StartAsync(store, id, first);
        await using (EventSession session = await store.BeginSessionAsync(laterMetadata))
        {
            session.Append(id, TestEvents.StreamType, 2, second);
            await session.CommitAsync();
        }
        EventStream? stream = await store.FetchStreamAsync(id);

        Assert.NotNull(stream);
        Assert.Equal(TestEvents.StreamType, stream.Type);
        Assert.Equal(3, stream.Version);
        Assert.Equal([.. first, .. second], stream.Data);
        Assert.Equal([1, 2, 3], stream.Events.Select(e => e.Version));
        Assert.Equal(
            [
                TestEvents.AccountOpenedAlias,
                TestEvents.FundsDepositedAlias,
                TestEvents.NoteAddedAlias,
            ],
            stream.Events.Select(e => e.Type)
        );
        Assert.All(stream.Events, e => Assert.Equal(id, e.StreamId));
        Assert.Equal(TestEvents.Metadata, stream.Events[0].Metadata);
        Assert.Equal(TestEvents.Metadata, stream.Events[1].Metadata);
        Assert.Equal(laterMetadata, stream.Events[2].Metadata);
        Assert.All(
            stream.Events,
            e =>
                Assert.InRange(
                    e.RecordedAt,
                    before - ClockSkewMax,
                    DateTimeOffset.UtcNow + ClockSkewMax
                )
        );
        long[] seqs = [.. stream.Events.Select(e => e.Seq)];
        Assert.All(seqs.Zip(seqs.Skip(1)), pair => Assert.True(pair.First < pair.Second));
    }

    [Fact]
    public async Task Events_are_stored_under_their_alias_with_web_json_and_named_metadata()
    {
        EventStore store = database.CreateStore();
        var id = Guid.NewGuid();

        await Appends.StartAsync(store, id, new FundsDeposited(id, "5"));

        Assert.Equal(
            TestEvents.FundsDepositedAlias,
            await database.ScalarAsync<string>(
                "SELECT type FROM ledger.events WHERE stream_id = $1",
                id
            )
        );
        Assert.Equal(
            "5",
            await database.ScalarAsync<string>(
                "SELECT data->>'quantity' FROM ledger.events WHERE stream_id = $1",
                id
            )
        );
        Assert.Equal(
            "operator:alice|correlation-1|causation-1|request-1",
            await database.ScalarAsync<string>(
                """
                SELECT concat_ws('|', metadata->>'actor', metadata->>'correlationId',
                    metadata->>'causationId', metadata->>'requestId')
                FROM ledger.events WHERE stream_id = $1
                """,
                id
            )
        );
    }

    [Fact]
    public async Task Reading_a_stream_up_to_a_version_returns_just_those_events()
    {
        EventStore store = database.CreateStore();
        var id = Guid.NewGuid();
        await Appends.StartAsync(store, id, Appends.Notes(id, 5));

        EventStream? upToThree = await store.FetchStreamAsync(id, upToVersion: 3);

        Assert.NotNull(upToThree);
        Assert.Equal(3, upToThree.Version);
        Assert.Equal([1, 2, 3], upToThree.Events.Select(e => e.Version));
        Assert.Equal(Appends.Notes(id, 3), upToThree.Data);
    }

    [Fact]
    public async Task Fetching_a_missing_stream_returns_null()
    {
        EventStore store = database.CreateStore();

        Assert.Null(await store.FetchStreamAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task Reading_an_event_with_an_unregistered_alias_throws_an_invariant_exception()
    {
        var id = Guid.NewGuid();
        await Appends.StartAsync(database.CreateStore(), id, new LegacyNoted(id, "old"));
        var laterBuild = new EventStore(
            database.DataSource,
            TestEvents.RegistryWithoutLegacy(),
            []
        );

        var error = await Assert.ThrowsAsync<EventStoreInvariantException>(() =>
            laterBuild.FetchStreamAsync(id)
        );

        Assert.Contains(TestEvents.LegacyNotedAlias, error.Message);
    }
}
