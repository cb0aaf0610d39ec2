using Ledger.Api.Hosting;
using Ledger.Domain;
using Npgsql;
using NpgsqlTypes;

namespace Ledger.Api.Queries;

/// <summary>What a page of holds is filtered by; a null filter matches every row.</summary>
public sealed record HoldFilter(
    string? Kind,
    Guid? ClientId,
    Guid? ConnectionId,
    string? Status,
    string? Currency,
    int? OlderThanSeconds,
    Guid? After,
    int Limit
);

/// <summary>
/// One parameterised statement serves every list: each filter is "($n IS NULL OR col = $n)",
/// and the cursor is a row-value comparison on (created_at, id), so pages never skip or repeat
/// a row even when many holds share a timestamp (keyset pagination, no OFFSET). created_at is
/// the opening transaction's start, so a hold whose commit was slow can land behind a cursor a
/// reader has already passed; whoever must see every hold reads the event log by seq instead.
/// </summary>
public static class HoldPageQuery
{
    // The age is measured on the database's clock, the same clock that stamped created_at.
    private const string PageSql = $"""
        SELECT {HoldStatusRows.Columns}
        FROM ledger.hold_status h
        WHERE ($1::text IS NULL OR h.kind = $1)
          AND ($2::uuid IS NULL OR h.client_id = $2)
          AND ($3::uuid IS NULL OR h.connection_id = $3)
          AND ($4::text IS NULL OR h.status = $4)
          AND ($5::text IS NULL OR h.currency = $5)
          AND ($6::integer IS NULL OR h.created_at < now() - make_interval(secs => $6))
          AND ($7::uuid IS NULL OR (h.created_at, h.id) >
              (SELECT c.created_at, c.id FROM ledger.hold_status c
               WHERE c.id = $7 AND ($1::text IS NULL OR c.kind = $1)))
        ORDER BY h.created_at, h.id
        LIMIT $8
        """;

    private const string CursorExistsSql = """
        SELECT EXISTS (SELECT 1 FROM ledger.hold_status
                       WHERE id = $1 AND ($2::text IS NULL OR kind = $2))
        """;

    /// <summary>The page, or null when the cursor names no hold of the kind (a 400).</summary>
    public static async Task<HoldPage?> ReadAsync(
        LedgerDatabase database,
        HoldFilter filter,
        CancellationToken cancellationToken
    )
    {
        if (filter.Limit is < 1 or > Limits.PageSizeMax)
        {
            throw new InvariantViolationException(
                $"page size {filter.Limit} got past the edge's check"
            );
        }
        List<HoldStatusView> rows = await ReadRowsAsync(database, filter, cancellationToken);
        // An unknown cursor and the end of the list both read as no rows; only then is it
        // worth a second look. Rows are never deleted, so a known cursor stays known.
        if (
            rows.Count == 0
            && filter.After is { } after
            && !await CursorExistsAsync(database, after, filter.Kind, cancellationToken)
        )
        {
            return null;
        }
        bool more = rows.Count > filter.Limit;
        List<HoldStatusView> items = more ? rows.GetRange(0, filter.Limit) : rows;
        return new HoldPage(items, more ? items[^1].Id : null);
    }

    /// <summary>Reads one row more than the page holds, to know if another page follows.</summary>
    private static async Task<List<HoldStatusView>> ReadRowsAsync(
        LedgerDatabase database,
        HoldFilter filter,
        CancellationToken cancellationToken
    )
    {
        await using NpgsqlCommand command = database.Queries.CreateCommand(PageSql);
        command.Parameters.Add(Typed(filter.Kind, NpgsqlDbType.Text));
        command.Parameters.Add(Typed(filter.ClientId, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(filter.ConnectionId, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(filter.Status, NpgsqlDbType.Text));
        command.Parameters.Add(Typed(filter.Currency, NpgsqlDbType.Text));
        command.Parameters.Add(Typed(filter.OlderThanSeconds, NpgsqlDbType.Integer));
        command.Parameters.Add(Typed(filter.After, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(filter.Limit + 1, NpgsqlDbType.Integer));
        var rows = new List<HoldStatusView>(filter.Limit + 1);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(HoldStatusRows.Read(reader));
        }
        return rows;
    }

    private static async Task<bool> CursorExistsAsync(
        LedgerDatabase database,
        Guid after,
        string? kind,
        CancellationToken cancellationToken
    )
    {
        await using NpgsqlCommand command = database.Queries.CreateCommand(CursorExistsSql);
        command.Parameters.Add(Typed(after, NpgsqlDbType.Uuid));
        command.Parameters.Add(Typed(kind, NpgsqlDbType.Text));
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>PostgreSQL must know a parameter's type even when its value is null.</summary>
    private static NpgsqlParameter Typed(object? value, NpgsqlDbType type) =>
        new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}
