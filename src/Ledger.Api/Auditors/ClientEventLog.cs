using System.Data;
using System.Runtime.CompilerServices;
using Ledger.Api.Hosting;
using Ledger.EventStore;
using Npgsql;

namespace Ledger.Api.Auditors;

/// <summary>One event naming a client in its data, decoded, with its place in the log.</summary>
public sealed record ClientEvent(
    long Seq,
    Guid StreamId,
    int Version,
    string Type,
    string RecordedAt,
    object Data
);

/// <summary>
/// A client's events, read from one snapshot: a read-only REPEATABLE READ transaction, so the
/// position a moment resolves to, the log's clock and every page of events all agree.
/// <para>
/// The events are those whose data carries "clientId", found through ix_events_client_seq
/// (src/Ledger.Api/schema.sql): every balance-moving event and every connection activation
/// does. A moment in time is resolved to a position in seq order, never used as a filter
/// itself, because recorded_at is the appending transaction's start: a deallocation that
/// waited on a balance row's lock can be recorded before the clear it waited for, though its
/// seq is after it. A cut by recorded_at could then hold the debit without the credit and go
/// negative; a prefix in seq order never does, since an event only depends on events that
/// committed before it drew its seq.
/// </para>
/// </summary>
public sealed class ClientEventLog : IAsyncDisposable
{
    /// <summary>Events read per round trip; the folds hold one page at a time.</summary>
    public const int PageSizeMax = 1_000;

    // An auditor's read can never write, whatever a later change does to this class.
    private const string ReadOnlySql = "SET TRANSACTION READ ONLY";

    private const string ClockSql =
        "SELECT now(), COALESCE((SELECT max(seq) FROM ledger.events), 0)";

    // Backwards from the client's newest event: a recent moment stops after a few rows.
    private const string LastSeqBeforeSql = """
        SELECT COALESCE((SELECT seq FROM ledger.events
                         WHERE data->>'clientId' = $1 AND recorded_at < $2
                         ORDER BY seq DESC LIMIT 1), 0)
        """;

    private const string PageSql = """
        SELECT seq, stream_id, version, type,
               to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
               data::text
        FROM ledger.events
        WHERE data->>'clientId' = $1 AND seq > $2 AND seq <= $3
        ORDER BY seq
        LIMIT $4
        """;

    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;
    private readonly EventTypeRegistry _registry;
    private readonly string _clientKey;

    private ClientEventLog(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        EventTypeRegistry registry,
        Guid clientId
    )
    {
        _connection = connection;
        _transaction = transaction;
        _registry = registry;
        // The key as System.Text.Json writes a Guid into event data: lower-case, hyphenated.
        _clientKey = clientId.ToString("D");
    }

    /// <summary>The database's clock when the snapshot was taken.</summary>
    public DateTimeOffset Now { get; private set; }

    /// <summary>The log's last seq in the snapshot; 0 for an empty log.</summary>
    public long LastSeq { get; private set; }

    public static async Task<ClientEventLog> OpenAsync(
        LedgerDatabase database,
        EventTypeRegistry registry,
        Guid clientId,
        CancellationToken cancellationToken
    )
    {
        NpgsqlConnection connection = await database.DataSource.OpenConnectionAsync(
            cancellationToken
        );
        try
        {
            NpgsqlTransaction transaction = await connection.BeginTransactionAsync(
                IsolationLevel.RepeatableRead,
                cancellationToken
            );
            var log = new ClientEventLog(connection, transaction, registry, clientId);
            await log.ReadClockAsync(cancellationToken);
            return log;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>The seq of the client's last event recorded before instant; 0 if none.</summary>
    public async Task<long> LastSeqBeforeAsync(
        DateTimeOffset instant,
        CancellationToken cancellationToken
    )
    {
        await using var command = new NpgsqlCommand(LastSeqBeforeSql, _connection, _transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = _clientKey });
        command.Parameters.Add(new NpgsqlParameter { Value = instant.ToUniversalTime() });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The client's events with afterSeq &lt; seq &lt;= upToSeq, in seq order.</summary>
    public async IAsyncEnumerable<ClientEvent> ReadAsync(
        long afterSeq,
        long upToSeq,
        [EnumeratorCancellation] CancellationToken cancellationToken
    )
    {
        long cursor = afterSeq;
        while (cursor < upToSeq)
        {
            List<ClientEvent> page = await ReadPageAsync(cursor, upToSeq, cancellationToken);
            foreach (ClientEvent e in page)
            {
                yield return e;
            }
            if (page.Count < PageSizeMax)
            {
                yield break;
            }
            cursor = page[^1].Seq;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Nothing was written; disposing rolls the read-only transaction back.
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }

    private async Task ReadClockAsync(CancellationToken cancellationToken)
    {
        await using (var readOnly = new NpgsqlCommand(ReadOnlySql, _connection, _transaction))
        {
            await readOnly.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var command = new NpgsqlCommand(ClockSql, _connection, _transaction);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("SELECT now() returned no row");
        }
        Now = reader.GetFieldValue<DateTimeOffset>(0);
        LastSeq = reader.GetInt64(1);
    }

    private async Task<List<ClientEvent>> ReadPageAsync(
        long afterSeq,
        long upToSeq,
        CancellationToken cancellationToken
    )
    {
        await using var command = new NpgsqlCommand(PageSql, _connection, _transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = _clientKey });
        command.Parameters.Add(new NpgsqlParameter { Value = afterSeq });
        command.Parameters.Add(new NpgsqlParameter { Value = upToSeq });
        command.Parameters.Add(new NpgsqlParameter { Value = PageSizeMax });
        var page = new List<ClientEvent>(PageSizeMax);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            string type = reader.GetString(3);
            page.Add(
                new ClientEvent(
                    reader.GetInt64(0),
                    reader.GetGuid(1),
                    reader.GetInt32(2),
                    type,
                    reader.GetString(4),
                    _registry.Deserialize(type, reader.GetString(5))
                )
            );
        }
        return page;
    }
}
