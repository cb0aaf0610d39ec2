using Npgsql;

namespace Ledger.EventStore;

/// <summary>
/// A view kept in step with the log: it receives the events being appended and adds its
/// statements to the same batch, so its rows commit or roll back with the events. A
/// projection that throws, or whose statement fails, aborts the append.
/// </summary>
public interface IInlineProjection
{
    void Project(IReadOnlyList<PendingEvent> events, ProjectionBatch batch);

    /// <summary>
    /// The same rows for a group of many new streams (<see cref="GroupSession"/>, ADR 0010)
    /// or of single appends to existing ones (<see cref="EventSession.CommitSetBasedAsync"/>,
    /// ADR 0016). A projection may write them set-based, a few statements for the whole group,
    /// because PostgreSQL's cost here is per statement far more than per row. The default is
    /// <see cref="Project"/>. The events come level by level (every stream's first new
    /// version, then the next), and the group has locked every balance row it touches.
    /// </summary>
    void ProjectGroup(IReadOnlyList<PendingEvent> events, ProjectionBatch batch) =>
        Project(events, batch);
}

/// <summary>
/// The statements projections add to an append, each with an optional row-count check. The
/// check runs in the server (ledger.expect_rows), so it also holds in a batch that ends in its
/// own COMMIT (<see cref="GroupSession.CommitAsync"/>), where no check can run after it.
/// </summary>
public sealed class ProjectionBatch
{
    private readonly List<NpgsqlBatchCommand> _commands = [];

    public int Count => _commands.Count;

    /// <summary>
    /// Adds a statement. With <paramref name="expectedRows"/>, any other row count aborts the
    /// append as a broken invariant, named by <paramref name="invariant"/>.
    /// </summary>
    public void Add(
        string sql,
        IEnumerable<object> parameters,
        int? expectedRows = null,
        string invariant = ""
    )
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (object value in parameters)
        {
            command.Parameters.Add(
                value as NpgsqlParameter ?? new NpgsqlParameter { Value = value }
            );
        }
        _commands.Add(
            expectedRows is { } expected ? CheckedInServer(command, expected, invariant) : command
        );
    }

    internal IReadOnlyList<NpgsqlBatchCommand> Commands => _commands;

    /// <summary>
    /// An INSERT or UPDATE (without RETURNING) whose row count ledger.expect_rows checks: any
    /// other count raises assert_failure, which aborts the transaction.
    /// </summary>
    internal static NpgsqlBatchCommand CheckedInServer(
        NpgsqlBatchCommand command,
        int expectedRows,
        string invariant
    ) =>
        CountedInServer(
            command,
            $"{command.CommandText} RETURNING 1",
            "ledger.expect_rows",
            expectedRows,
            invariant
        );

    /// <summary>
    /// <paramref name="command"/>'s parameters on <paramref name="rowsSql"/>, whose rows the server
    /// counts and passes to <paramref name="check"/> with the count expected and what it means.
    /// </summary>
    internal static NpgsqlBatchCommand CountedInServer(
        NpgsqlBatchCommand command,
        string rowsSql,
        string check,
        int expectedRows,
        string meaning
    )
    {
        int count = command.Parameters.Count;
        var counted = new NpgsqlBatchCommand(
            $"WITH counted AS ({rowsSql}) "
                + $"SELECT {check}(count(*), ${count + 1}, ${count + 2}) FROM counted"
        );
        foreach (NpgsqlParameter parameter in command.Parameters)
        {
            counted.Parameters.Add(parameter.Clone());
        }
        counted.Parameters.Add(new NpgsqlParameter { Value = expectedRows });
        counted.Parameters.Add(new NpgsqlParameter { Value = meaning });
        return counted;
    }

    /// <summary>Runs a batch of checked statements: a broken row count is an invariant exception.</summary>
    internal static async Task ExecuteCheckedAsync(
        NpgsqlBatch batch,
        CancellationToken cancellationToken
    )
    {
        try
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.AssertFailure)
        {
            throw new EventStoreInvariantException(e.MessageText);
        }
    }
}
