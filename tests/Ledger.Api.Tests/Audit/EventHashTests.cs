using Ledger.Api.Audit;
using Ledger.Api.Hosting;
using Ledger.EventStore;
using Ledger.Testing;
using Npgsql;

namespace Ledger.Api.Tests.Audit;

/// <summary>
/// docs/hash-chain.md: the C# hash agrees with ledger.event_hash on the bytes that are easy to
/// get wrong: non-ASCII text, JSON escapes, jsonb's key order, a zero microsecond.
/// </summary>
public sealed class EventHashTests
{
    [Theory]
    [InlineData("""{"b": "é€😀", "a": "tab\there \"quoted\" back\\slash / slash"}""", 0)]
    [InlineData("""{"longer key": {"z": null, "y": [true, false]}, "k": "\u0001"}""", 123456)]
    public async Task The_csharp_hash_equals_ledger_event_hash(string json, int microseconds)
    {
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(
            await TestPostgres.CreateDatabaseAsync()
        );
        await SchemaApplier.ApplyAsync(dataSource, LedgerDatabase.Scripts);
        Guid streamId = Guid.NewGuid();
        DateTime recordedAt = new DateTime(2026, 11, 21, 5, 13, 29, DateTimeKind.Utc).AddTicks(
            microseconds * TimeSpan.TicksPerMicrosecond
        );
        byte[] previous = [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7))];
        await using NpgsqlCommand command = dataSource.CreateCommand(
            """
            SELECT ledger.event_hash($1, $2, 7, 'deallocation_reserved', $3::jsonb,
                                     '{"actor": "bitgo"}', $4),
                   $3::jsonb::text
            """
        );
        command.Parameters.Add(new NpgsqlParameter { Value = previous });
        command.Parameters.Add(new NpgsqlParameter { Value = streamId });
        command.Parameters.Add(new NpgsqlParameter { Value = json });
        command.Parameters.Add(new NpgsqlParameter { Value = recordedAt });
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        byte[] expected = reader.GetFieldValue<byte[]>(0);

        byte[] computed = new byte[EventHash.HashBytes];
        using var hasher = new EventHash();
        hasher.Compute(
            previous,
            streamId,
            7,
            "deallocation_reserved",
            reader.GetString(1),
            """{"actor": "bitgo"}""",
            recordedAt,
            computed
        );

        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(computed));
    }
}
