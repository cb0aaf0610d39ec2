using Ledger.Api.Hosting;
using Ledger.EventStore;
using Npgsql;

namespace Ledger.Api.Security;

/// <summary>
/// A verified BitGo token's jti, to be recorded exactly once (ADR 0012). A write records it in
/// its own transaction, so a reservation pays one commit, not two; a request that writes
/// nothing has it recorded by <see cref="BitGoSignatureFilter"/> after its handler.
/// </summary>
public sealed class PendingJti(string jti, DateTimeOffset expiresAt)
{
    private const string ItemKey = "ledger.pending-jti";

    public string Jti { get; } = jti;

    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    /// <summary>
    /// Written with the jti, so that a retry of this request after a commit of unknown outcome
    /// finds its own row, not a replay.
    /// </summary>
    public Guid RequestId { get; } = Guid.CreateVersion7();

    /// <summary>Set only once the transaction that recorded the jti has committed.</summary>
    public bool Recorded { get; private set; }

    public void MarkRecorded() => Recorded = true;

    public void AttachTo(HttpContext http) => http.Items[ItemKey] = this;

    /// <summary>The request's jti when its route lets the write record it, else null.</summary>
    public static PendingJti? Of(HttpContext http) => http.Items[ItemKey] as PendingJti;
}

/// <summary>Endpoint metadata: this route's write records the jti in its own transaction.</summary>
public sealed class JtiRecordedByWrite
{
    public static JtiRecordedByWrite Instance { get; } = new();

    private JtiRecordedByWrite() { }
}

/// <summary>The token's jti was already used: the filter answers 401 and nothing was written.</summary>
public sealed class JtiReplayedException(string jti) : Exception($"jti {jti} was already used");

/// <summary>
/// Remembers every BitGo token's jti in PostgreSQL. The primary key makes "first use wins"
/// atomic, so 20 concurrent replays of one token get exactly one success, on any node.
/// </summary>
public sealed class JtiStore(LedgerDatabase database)
{
    // Sorted, so two transactions recording overlapping jtis lock them in one order. A row that
    // is already there is returned only when this request wrote it (an earlier attempt whose
    // commit outcome was unknown); the DO UPDATE that says so runs only on that rare conflict.
    private const string RecordSql = """
        INSERT INTO ledger.seen_jtis (jti, expires_at, request_id)
        SELECT jti, expires_at, request_id
        FROM unnest($1::text[], $2::timestamptz[], $3::uuid[]) AS j(jti, expires_at, request_id)
        ORDER BY jti
        ON CONFLICT (jti) DO UPDATE SET expires_at = excluded.expires_at
        WHERE ledger.seen_jtis.request_id = excluded.request_id
        RETURNING jti
        """;

    /// <summary>A token is dropped only once it could no longer pass the expiry check.</summary>
    private const string PruneSql =
        "DELETE FROM ledger.seen_jtis WHERE expires_at < now() - make_interval(secs => $1)";

    /// <summary>
    /// The statement that records <paramref name="jtis"/> (distinct) in whatever transaction
    /// runs it; it returns each jti that is this request's to use.
    /// </summary>
    public static NpgsqlBatchCommand RecordCommand(IReadOnlyCollection<PendingJti> jtis) =>
        new(RecordSql)
        {
            Parameters =
            {
                new() { Value = jtis.Select(j => j.Jti).ToArray() },
                new() { Value = jtis.Select(j => j.ExpiresAt.UtcDateTime).ToArray() },
                new() { Value = jtis.Select(j => j.RequestId).ToArray() },
            },
        };

    /// <summary>
    /// Records a group's jtis (distinct) in the group's transaction, and collects in
    /// <paramref name="own"/> those that are this group's to use; the rest are replays.
    /// </summary>
    public static GroupStatements RecordInGroup(
        IReadOnlyCollection<PendingJti> jtis,
        HashSet<string> own
    ) =>
        jtis.Count == 0
            ? GroupStatements.None
            : new GroupStatements(
                [RecordCommand(jtis)],
                async (reader, cancellationToken) =>
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        own.Add(reader.GetString(0));
                    }
                }
            );

    /// <summary>
    /// Records a group's jtis (distinct) with the assumption that each is this group's to use:
    /// a replay among them fails the group as stale (GroupSession.Assumed).
    /// </summary>
    public static NpgsqlBatchCommand RecordAssumingOwn(IReadOnlyCollection<PendingJti> jtis) =>
        GroupSession.Assumed(RecordCommand(jtis), jtis.Count, "each jti is the group's own");

    /// <summary>
    /// Records the jti in the caller's transaction; the caller marks it recorded after its
    /// commit. Throws <see cref="JtiReplayedException"/> when the token was used before.
    /// </summary>
    public static async Task RecordInAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction transaction,
        PendingJti jti,
        CancellationToken cancellationToken
    )
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        if (!await IsOwnAsync(batch, jti, cancellationToken))
        {
            throw new JtiReplayedException(jti.Jti);
        }
    }

    /// <summary>Records the jti in a transaction of its own. False for a replay.</summary>
    public async Task<bool> TryRecordAsync(PendingJti jti, CancellationToken cancellationToken)
    {
        await using NpgsqlBatch batch = database.DataSource.CreateBatch();
        if (!await IsOwnAsync(batch, jti, cancellationToken))
        {
            return false;
        }
        jti.MarkRecorded();
        return true;
    }

    /// <summary>Records one jti on <paramref name="batch"/>: true when it is this request's.</summary>
    private static async Task<bool> IsOwnAsync(
        NpgsqlBatch batch,
        PendingJti jti,
        CancellationToken cancellationToken
    )
    {
        batch.BatchCommands.Add(RecordCommand([jti]));
        return await batch.ExecuteScalarAsync(cancellationToken) is not null;
    }

    public async Task<int> PruneAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = database.DataSource.CreateCommand(PruneSql);
        command.Parameters.Add(
            new NpgsqlParameter
            {
                Value = (double)Ledger.BitGoAuth.BitGoTokenVerifier.ClockSkewSeconds,
            }
        );
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>Prunes expired jtis once a minute; a failed prune only waits for the next one.</summary>
public sealed class JtiPruner(JtiStore store, ILogger<JtiPruner> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await NextTickAsync(timer, stoppingToken))
        {
            try
            {
                int pruned = await store.PruneAsync(stoppingToken);
                logger.LogDebug("Pruned {Count} expired jtis", pruned);
            }
            catch (NpgsqlException e)
            {
                logger.LogWarning(
                    e,
                    "Pruning expired jtis failed; retrying in {Interval}",
                    Interval
                );
            }
        }
    }

    /// <summary>False once the host stops: stopping is how the loop ends, not a failure.</summary>
    private static async Task<bool> NextTickAsync(
        PeriodicTimer timer,
        CancellationToken stoppingToken
    )
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
