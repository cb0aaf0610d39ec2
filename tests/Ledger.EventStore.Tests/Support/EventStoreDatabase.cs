using Ledger.Testing;
using Npgsql;

namespace Ledger.EventStore.Tests.Support;

/// <summary>
/// A fresh database with the event store's schema, one per test class, plus a plain table that
/// the test projections write to. Test classes run in parallel; tests in one class do not, so a
/// test may read global facts such as max(seq) of its class's database.
/// </summary>
public sealed class EventStoreDatabase : IAsyncLifetime
{
    /// <summary>Above the concurrency test's 32 writers, each holding a session open.</summary>
    private const int PoolConnectionsMax = 64;

    private static readonly TimeSpan LockWaitTimeout = TimeSpan.FromSeconds(10);

    private const string CreateProjectionTable = """
        CREATE TABLE public.projected_notes (
            stream_id  uuid    NOT NULL,
            version    integer NOT NULL,
            note       text    NOT NULL,
            CONSTRAINT pk_projected_notes PRIMARY KEY (stream_id, version)
        )
        """;

    private NpgsqlDataSource? _dataSource;

    public NpgsqlDataSource DataSource =>
        _dataSource ?? throw new InvalidOperationException("fixture not initialised");

    public async Task InitializeAsync()
    {
        string connectionString = await TestPostgres.CreateDatabaseAsync();
        _dataSource = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(connectionString)
            {
                MaxPoolSize = PoolConnectionsMax,
                IncludeFailedBatchedCommand = true,
            }.ConnectionString
        );
        await SchemaApplier.ApplyAsync(DataSource, [SchemaApplier.EventStoreScript]);
        await ExecuteAsync(CreateProjectionTable);
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    public EventStore CreateStore(params IInlineProjection[] projections) =>
        new(DataSource, TestEvents.Registry(), projections);

    public Task<long> CountEventsAsync() => ScalarAsync<long>("SELECT count(*) FROM ledger.events");

    public Task<long> CountEventsAsync(Guid streamId) =>
        ScalarAsync<long>("SELECT count(*) FROM ledger.events WHERE stream_id = $1", streamId);

    /// <summary>The version on the stream row, or null when there is no row.</summary>
    public Task<int?> StreamVersionAsync(Guid streamId) =>
        ScalarAsync<int?>("SELECT version FROM ledger.streams WHERE id = $1", streamId);

    public Task<long> MaxSeqAsync() =>
        ScalarAsync<long>("SELECT coalesce(max(seq), 0) FROM ledger.events");

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using NpgsqlCommand command = Command(sql, parameters);
        object? value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default! : (T)value;
    }

    public async Task<int> ExecuteAsync(string sql, params object[] parameters)
    {
        await using NpgsqlCommand command = Command(sql, parameters);
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>Waits until <paramref name="waitersMin"/> backends of this database are blocked on a lock.</summary>
    public async Task WaitForLockWaiterAsync(int waitersMin = 1)
    {
        const string sql = """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'
            """;
        DateTime deadline = DateTime.UtcNow + LockWaitTimeout;
        while (await ScalarAsync<long>(sql) < waitersMin)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no backend waited on a lock within {LockWaitTimeout}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(10));
        }
    }

    private NpgsqlCommand Command(string sql, object[] parameters)
    {
        NpgsqlCommand command = DataSource.CreateCommand(sql);
        foreach (object parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }
        return command;
    }
}
