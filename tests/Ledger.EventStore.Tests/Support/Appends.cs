namespace Ledger.EventStore.Tests.Support;

/// <summary>One-session appends, for tests whose subject is not the session itself.</summary>
public static class Appends
{
    public static async Task StartAsync(EventStore store, Guid streamId, params object[] events)
    {
        await using EventSession session = await store.BeginSessionAsync(TestEvents.Metadata);
        session.StartStream(streamId, TestEvents.StreamType, events);
        await session.CommitAsync();
    }

    public static async Task AppendAsync(
        EventStore store,
        Guid streamId,
        int expectedVersion,
        params object[] events
    )
    {
        await using EventSession session = await store.BeginSessionAsync(TestEvents.Metadata);
        session.Append(streamId, TestEvents.StreamType, expectedVersion, events);
        await session.CommitAsync();
    }

    /// <summary>Notes numbered 1..count, for streams whose content does not matter.</summary>
    public static object[] Notes(Guid streamId, int count) =>
        [.. Enumerable.Range(1, count).Select(i => new NoteAdded(streamId, 0, $"note {i}"))];
}
