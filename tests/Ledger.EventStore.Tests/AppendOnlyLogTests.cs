using Ledger.EventStore.Tests.Support;
using Npgsql;

namespace Ledger.EventStore.Tests;

public sealed class AppendOnlyLogTests(EventStoreDatabase database)
    : IClassFixture<EventStoreDatabase>
{
    [Theory]
    [InlineData("UPDATE ledger.events SET type = 'test_tampered' WHERE stream_id = $1")]
    [InlineData("DELETE FROM ledger.events WHERE stream_id = $1")]
    public async Task The_log_is_append_only_and_update_and_delete_are_refused(string sql)
    {
        var id = Guid.NewGuid();
        await Appends.StartAsync(database.CreateStore(), id, Appends.Notes(id, 2));

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            database.ExecuteAsync(sql, id)
        );

        Assert.Equal(PostgresErrorCodes.RestrictViolation, error.SqlState);
        Assert.Contains("append-only", error.MessageText);
        EventStream? stream = await database.CreateStore().FetchStreamAsync(id);
        Assert.NotNull(stream);
        Assert.Equal(Appends.Notes(id, 2), stream.Data);
    }

    [Fact]
    public async Task The_log_refuses_truncate()
    {
        var id = Guid.NewGuid();
        await Appends.StartAsync(database.CreateStore(), id, Appends.Notes(id, 1));
        long before = await database.CountEventsAsync();

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            database.ExecuteAsync("TRUNCATE ledger.events")
        );

        Assert.Equal(PostgresErrorCodes.RestrictViolation, error.SqlState);
        Assert.Equal(before, await database.CountEventsAsync());
    }

    [Theory]
    [InlineData("DELETE FROM ledger.streams WHERE id = $1")]
    [InlineData("TRUNCATE ledger.streams")]
    public async Task A_stream_row_is_never_removed(string sql)
    {
        var id = Guid.NewGuid();
        await Appends.StartAsync(database.CreateStore(), id, Appends.Notes(id, 1));

        var error = await Assert.ThrowsAsync<PostgresException>(() =>
            sql.Contains("$1", StringComparison.Ordinal)
                ? database.ExecuteAsync(sql, id)
                : database.ExecuteAsync(sql)
        );

        Assert.Equal(PostgresErrorCodes.RestrictViolation, error.SqlState);
        Assert.Contains("never removed", error.MessageText);
        Assert.NotNull(await database.CreateStore().FetchStreamAsync(id));
    }
}
