using Ledger.Api.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Ledger.Api.Queries;

/// <summary>
/// GET /api/v1/allocations/{id} and /api/v1/deallocations/{id}: one hold's status row. An id
/// of the other kind is 404 here, as on BitGo's status paths: the kinds share an id space,
/// not an answer.
/// </summary>
public static class GetHoldStatusEndpoint
{
    private const string ByIdSql = $"""
        SELECT {HoldStatusRows.Columns}
        FROM ledger.hold_status
        WHERE id = $1 AND kind = $2
        """;

    public static async Task<Results<Ok<HoldStatusView>, ProblemHttpResult>> HandleAsync(
        HoldKind kind,
        string id,
        LedgerDatabase database,
        CancellationToken cancellationToken
    )
    {
        if (!Ids.TryParse(id, out Guid holdId))
        {
            return Problems.Invalid($"{kind.IdField}: " + Ids.UuidRule);
        }
        await using NpgsqlCommand command = database.Queries.CreateCommand(ByIdSql);
        command.Parameters.Add(new NpgsqlParameter { Value = holdId });
        command.Parameters.Add(new NpgsqlParameter { Value = kind.Name });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? TypedResults.Ok(HoldStatusRows.Read(reader))
            : Problems.NotFound($"{kind.IdField}: no {kind.Name} {holdId}");
    }
}
