using Ledger.EventStore;
using Npgsql;

namespace Ledger.EventStore.Tests.Support;

/// <summary>
/// A gate in the server: a commit's batch stops at this projection's statement, after its
/// claims and before its COMMIT, while the test holds an advisory lock. Commits are one round
/// trip, so only a statement of the batch itself can hold one open between claim and commit.
/// </summary>
public sealed class GateProjection : IInlineProjection, IAsyncDisposable
{
    private const int LockClass = 4_242;

    private readonly int _key = Random.Shared.Next();
    private NpgsqlConnection? _holder;

    private GateProjection() { }

    /// <summary>A gate already closed: commits through it wait until <see cref="OpenAsync"/>.</summary>
    public static async Task<GateProjection> ClosedAsync(NpgsqlDataSource dataSource)
    {
        var gate = new GateProjection { _holder = await dataSource.OpenConnectionAsync() };
        await gate.LockAsync("SELECT pg_advisory_lock($1, $2)");
        return gate;
    }

    public void Project(IReadOnlyList<PendingEvent> events, ProjectionBatch batch) =>
        batch.Add("SELECT pg_advisory_xact_lock_shared($1, $2)", [LockClass, _key]);

    public async Task OpenAsync()
    {
        await LockAsync("SELECT pg_advisory_unlock($1, $2)");
        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_holder is not null)
        {
            await _holder.DisposeAsync();
            _holder = null;
        }
    }

    private async Task LockAsync(string sql)
    {
        await using var command = new NpgsqlCommand(sql, _holder)
        {
            Parameters =
            {
                new() { Value = LockClass },
                new() { Value = _key },
            },
        };
        await command.ExecuteNonQueryAsync();
    }
}
