using Ledger.EventStore.Tests.Support;
using Ledger.Testing;
using Npgsql;

namespace Ledger.EventStore.Tests;

/// <summary>Each test makes its own empty database: the subject is applying the schema.</summary>
public sealed class SchemaTests
{
    private static readonly SchemaScript[] Scripts = [SchemaApplier.EventStoreScript];

    [Fact]
    public async Task Schema_is_not_current_on_an_empty_database()
    {
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(
            await TestPostgres.CreateDatabaseAsync()
        );

        Assert.False(await SchemaApplier.IsCurrentAsync(dataSource, Scripts));
    }

    [Fact]
    public async Task Applying_the_schema_twice_is_harmless_and_leaves_it_current()
    {
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(
            await TestPostgres.CreateDatabaseAsync() + ";Include Failed Batched Command=true"
        );
        var store = new EventStore(dataSource, TestEvents.Registry(), []);
        var id = Guid.NewGuid();

        await SchemaApplier.ApplyAsync(dataSource, Scripts);
        await Appends.StartAsync(store, id, Appends.Notes(id, 2));
        await SchemaApplier.ApplyAsync(dataSource, Scripts);
        await Appends.AppendAsync(store, id, 2, new NoteAdded(id, 1, "after the second apply"));

        Assert.True(await SchemaApplier.IsCurrentAsync(dataSource, Scripts));
        EventStream? stream = await store.FetchStreamAsync(id);
        Assert.Equal([1, 2, 3], stream?.Events.Select(e => e.Version) ?? []);
        Assert.Equal(
            SchemaApplier.EventStoreScript.Sha256,
            await ScalarAsync<string>(
                dataSource,
                "SELECT sha256 FROM ledger.schema_versions WHERE component = 'event_store'"
            )
        );
        Assert.Equal(
            2L,
            await ScalarAsync<long>(
                dataSource,
                """
                SELECT count(*) FROM pg_trigger
                WHERE tgrelid = 'ledger.events'::regclass AND NOT tgisinternal
                """
            )
        );
    }

    [Fact]
    public async Task Applying_the_schema_from_two_nodes_at_once_is_harmless()
    {
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(
            await TestPostgres.CreateDatabaseAsync()
        );

        await Task.WhenAll(
            Task.Run(() => SchemaApplier.ApplyAsync(dataSource, Scripts)),
            Task.Run(() => SchemaApplier.ApplyAsync(dataSource, Scripts))
        );

        Assert.True(await SchemaApplier.IsCurrentAsync(dataSource, Scripts));
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
