using System.Net;
using System.Text.Json.Nodes;
using Ledger.Api.Audit;
using Ledger.Api.Hosting;
using Ledger.Api.Tests.Support;
using Npgsql;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// A ledger of its own for one audit test: a fresh database behind the real host, filled
/// through BitGo's API with every kind of stream, so that one test's tampering never meets
/// another test's data.
/// </summary>
public sealed class AuditLedger : IAsyncDisposable
{
    public const string Currency = "btc";

    private readonly LedgerApiFixture _fixture;

    private AuditLedger(LedgerApiFixture fixture, LedgerData data)
    {
        _fixture = fixture;
        Data = data;
    }

    public LedgerData Data { get; }

    public string ConnectionString => _fixture.ConnectionString;

    public LedgerApiFixture Fixture => _fixture;

    public static async Task<AuditLedger> CreateAsync()
    {
        var fixture = new LedgerApiFixture();
        await fixture.InitializeAsync();
        LedgerData data = await LedgerData.CreateAsync(fixture.BitGo());
        return new AuditLedger(fixture, data);
    }

    public NpgsqlDataSource DataSource() => NpgsqlDataSource.Create(ConnectionString);

    /// <summary>Runs audit verify; the report's lines are returned with the result.</summary>
    public async Task<(AuditResult Result, string Report)> VerifyAsync()
    {
        await using NpgsqlDataSource dataSource = DataSource();
        var report = new StringWriter();
        AuditResult result = await new AuditVerifier(
            dataSource,
            LedgerEvents.CreateRegistry(),
            report
        ).VerifyAsync();
        return (result, report.ToString());
    }

    public async Task<StoredCheckpoint> CheckpointAsync()
    {
        await using NpgsqlDataSource dataSource = DataSource();
        return await new CheckpointWriter(dataSource).WriteAsync(
                onlyIfNew: false,
                CancellationToken.None
            ) ?? throw new InvalidOperationException("the test ledger is never empty");
    }

    /// <summary>
    /// Runs SQL as the attacker would: a superuser with triggers (the append-only guard and
    /// the foreign keys) switched off for the session.
    /// </summary>
    public async Task TamperAsync(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using (
            var replica = new NpgsqlCommand("SET session_replication_role = replica", connection)
        )
        {
            await replica.ExecuteNonQueryAsync();
        }
        // PostgreSQL takes parameters in one statement at a time.
        foreach (
            string statement in sql.Split(
                ';',
                StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
            )
        )
        {
            await using var command = new NpgsqlCommand(statement, connection);
            bool parameterised = statement.Contains("$1", StringComparison.Ordinal);
            foreach (object parameter in parameterised ? parameters : [])
            {
                command.Parameters.Add(new NpgsqlParameter { Value = parameter });
            }
            await command.ExecuteNonQueryAsync();
        }
    }

    public Task<T?> ScalarAsync<T>(string sql, params object[] parameters) =>
        _fixture.ScalarAsync<T>(sql, parameters);

    /// <summary>The rows of one table; the name is a constant of the calling test.</summary>
    public Task<long> CountAsync(string table) =>
        _fixture.ScalarAsync<long>($"SELECT count(*) FROM {table}");

    /// <summary>Waits until this many backends of the test database wait on a lock.</summary>
    public async Task WaitForLockWaitersAsync(int count)
    {
        const int attemptsMax = 400;
        for (int attempt = 0; attempt < attemptsMax; attempt++)
        {
            long waiting = await ScalarAsync<long>(
                """
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'
                """
            );
            if (waiting >= count)
            {
                return;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException($"fewer than {count} backends ever waited on a lock");
    }

    /// <summary>
    /// Starts a clear of an allocation that inserts its event and then waits, holding its seq
    /// uncommitted, until the returned transaction ends: it holds the hold's status row, which
    /// the clear updates after its event (a clear locks the balance row before its event).
    /// </summary>
    public async Task<(
        Task<Answer> Clear,
        NpgsqlConnection Holder,
        NpgsqlTransaction Held
    )> StartClearHeldInFlightAsync(Guid allocation)
    {
        var holder = new NpgsqlConnection(ConnectionString);
        await holder.OpenAsync();
        NpgsqlTransaction held = await holder.BeginTransactionAsync();
        await using (
            var lockRow = new NpgsqlCommand(
                "SELECT 1 FROM ledger.hold_status WHERE id = $1 FOR UPDATE",
                holder,
                held
            )
        )
        {
            lockRow.Parameters.Add(new NpgsqlParameter { Value = allocation });
            Assert.NotNull(await lockRow.ExecuteScalarAsync());
        }
        Task<Answer> clear = _fixture.BitGo().PutAsync($"/bitgo/v1/allocation/{allocation}/clear");
        await WaitForLockWaitersAsync(1);
        return (clear, holder, held);
    }

    public async ValueTask DisposeAsync() => await _fixture.DisposeAsync();
}

/// <summary>
/// The streams every audit test starts from: a funded connection with a cleared allocation,
/// a reserved and a cleared deallocation, a released allocation, a refused allocation, and
/// a second client's deactivated connection.
/// </summary>
public sealed record LedgerData(
    TestConnection Connection,
    TestConnection Deactivated,
    Guid ClearedAllocation,
    Guid ReleasedAllocation,
    Guid ReservedDeallocation,
    Guid ClearedDeallocation,
    Guid RejectedAllocation
)
{
    public static async Task<LedgerData> CreateAsync(BitGoClient bitgo)
    {
        TestConnection connection = await bitgo.ConnectAsync();
        Guid cleared = await AllocateAsync(bitgo, connection, "1000");
        await SettleAsync(bitgo, "allocation", cleared, "clear");
        Guid released = await AllocateAsync(bitgo, connection, "70");
        await SettleAsync(bitgo, "allocation", released, "release");
        Guid reserved = Guid.NewGuid();
        (
            await bitgo.DeallocateAsync(reserved, connection, AuditLedger.Currency, "100")
        ).AssertStatus(HttpStatusCode.OK);
        Guid clearedDeallocation = Guid.NewGuid();
        (
            await bitgo.DeallocateAsync(
                clearedDeallocation,
                connection,
                AuditLedger.Currency,
                "250"
            )
        ).AssertStatus(HttpStatusCode.OK);
        await SettleAsync(bitgo, "deallocation", clearedDeallocation, "clear");
        Guid rejected = Guid.NewGuid();
        var stranger = new TestConnection(Guid.NewGuid(), Guid.NewGuid(), "pcn-none", "pc-none");
        (
            await bitgo.PostAsync(
                "/bitgo/v1/allocations",
                BitGoClient.HoldBody("allocationId", rejected, stranger, AuditLedger.Currency, "5")
            )
        ).AssertStatus(HttpStatusCode.OK);
        TestConnection deactivated = await bitgo.ConnectAsync();
        (
            await bitgo.PostAsync(
                $"/api/v1/connections/{deactivated.ConnectionId}/deactivate",
                new JsonObject { ["reason"] = "client closed the account" }
            )
        ).AssertStatus(HttpStatusCode.OK);
        return new LedgerData(
            connection,
            deactivated,
            cleared,
            released,
            reserved,
            clearedDeallocation,
            rejected
        );
    }

    public static async Task<Guid> AllocateAsync(
        BitGoClient bitgo,
        TestConnection c,
        string quantity
    )
    {
        Guid id = Guid.NewGuid();
        (
            await bitgo.PostAsync(
                "/bitgo/v1/allocations",
                BitGoClient.HoldBody("allocationId", id, c, AuditLedger.Currency, quantity)
            )
        ).AssertStatus(HttpStatusCode.OK);
        return id;
    }

    public static async Task SettleAsync(
        BitGoClient bitgo,
        string kind,
        Guid id,
        string settlement
    ) =>
        (await bitgo.PutAsync($"/bitgo/v1/{kind}/{id}/{settlement}")).AssertStatus(
            HttpStatusCode.OK
        );
}

/// <summary>Asserts on what verify found, naming the rest of the report when it fails.</summary>
public static class AuditAssert
{
    public static void Found(AuditResult result, string subject, string field) =>
        Assert.True(
            Has(result, subject, field),
            $"no '{subject} field {field}' in:\n{All(result)}"
        );

    public static void NotFound(AuditResult result, string subject, string field) =>
        Assert.False(Has(result, subject, field), $"'{subject} field {field}' in:\n{All(result)}");

    private static bool Has(AuditResult result, string subject, string field) =>
        result.Discrepancies.Any(d => d.Subject == subject && d.Field == field);

    private static string All(AuditResult result) => string.Join('\n', result.Discrepancies);
}
