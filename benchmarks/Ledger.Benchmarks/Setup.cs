using System.Diagnostics;
using System.Globalization;
using Ledger.Api.Audit;
using Ledger.EventStore;
using Npgsql;

namespace Ledger.Benchmarks;

/// <summary>Seeding once, and describing the machine and the log.</summary>
public static class Setup
{
    /// <summary>
    /// Seeds once; a later run on the same cluster reuses the log. The views are written by
    /// projections rebuild, then VACUUM ANALYZE leaves the tables as a long-running ledger's
    /// are, and a checkpoint gives verify a digest to check.
    /// </summary>
    public static async Task<long> EnsureSeededAsync(
        NpgsqlDataSource dataSource,
        EventTypeRegistry registry,
        long eventsTarget
    )
    {
        long events = await ScalarAsync(dataSource, "SELECT count(*) FROM ledger.events");
        if (events > 0)
        {
            Console.Error.WriteLine($"reusing the seeded log: {events:N0} events");
            return events;
        }
        var clock = Stopwatch.StartNew();
        events = await new Seeder(registry).SeedAsync(dataSource, eventsTarget, Console.Error);
        Console.WriteLine($"seeded {events:N0} events in {clock.Elapsed.TotalSeconds:N1} s");
        // The seeder hashes in C#; PostgreSQL's own function must agree on a sample.
        long mismatched = await ScalarAsync(
            dataSource,
            """
            SELECT count(*) FROM ledger.events
            WHERE version = 1 AND seq <= 20000 AND hash <> ledger.event_hash(
                '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea,
                stream_id, version, type, data, metadata, recorded_at)
            """
        );
        if (mismatched > 0)
        {
            throw new InvalidOperationException(
                $"{mismatched} seeded hashes differ from ledger.event_hash"
            );
        }
        await new ProjectionRebuilder(dataSource, registry, Console.Error).RebuildAsync();
        await ExecuteAsync(dataSource, "VACUUM ANALYZE");
        var checkpointClock = Stopwatch.StartNew();
        StoredCheckpoint? checkpoint = await new CheckpointWriter(dataSource).WriteAsync(
            onlyIfNew: false,
            CancellationToken.None
        );
        Console.WriteLine(
            $"audit checkpoint at seq {checkpoint?.AtSeq:N0}: "
                + $"{checkpointClock.Elapsed.TotalSeconds:N2} s"
        );
        return events;
    }

    public static async Task<string> DescribeAsync(
        NpgsqlDataSource dataSource,
        long events,
        bool localCluster
    )
    {
        string version = (string)(await ScalarObjectAsync(dataSource, "SHOW server_version"))!;
        string size = (string)
            (
                await ScalarObjectAsync(
                    dataSource,
                    "SELECT pg_size_pretty(pg_total_relation_size('ledger.events'))"
                )
            )!;
        long streams = await ScalarAsync(dataSource, "SELECT count(*) FROM ledger.streams");
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo")
                .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                ?.Split(':')[1]
                .Trim()
                ?? "unknown CPU"
            : "unknown CPU";
        return $"machine: {Environment.ProcessorCount} cores ({cpu}), .NET {Environment.Version}, "
            + $"PostgreSQL {version.Split(' ')[0]}"
            + (localCluster ? " (local cluster, durable: fsync on)" : " (LEDGER_BENCH_CONNECTION)")
            + $"; log: {events:N0} events in {streams:N0} streams, ledger.events {size} "
            + "with indexes";
    }

    public static string LoadAverage() =>
        File.Exists("/proc/loadavg")
            ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3])
            : "n/a";

    public static async Task<long> ScalarAsync(NpgsqlDataSource dataSource, string sql) =>
        Convert.ToInt64(await ScalarObjectAsync(dataSource, sql), CultureInfo.InvariantCulture);

    private static async Task<object?> ScalarObjectAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
