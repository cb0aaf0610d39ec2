using System.Globalization;
using Npgsql;

namespace Ledger.HttpBench;

/// <summary>CPU seconds spent by each party during one measured run.</summary>
public sealed record CpuUse(double ClientSeconds, double ApiSeconds, double PostgresSeconds)
{
    public double TotalSeconds => ClientSeconds + ApiSeconds + PostgresSeconds;

    /// <summary>
    /// The share of the machine's CPU time its hypervisor gave to other guests during the run
    /// (steal in /proc/stat). A run that lost a fifth of its cores says little about rates.
    /// </summary>
    public double StolenShare { get; init; }

    /// <summary>Microseconds of CPU per request: client, API, PostgreSQL and their sum.</summary>
    public (double Client, double Api, double Postgres, double Total) PerRequest(long requests) =>
        requests == 0
            ? (0, 0, 0, 0)
            : (
                Micro(ClientSeconds, requests),
                Micro(ApiSeconds, requests),
                Micro(PostgresSeconds, requests),
                Micro(TotalSeconds, requests)
            );

    private static double Micro(double seconds, long requests) => seconds * 1_000_000 / requests;
}

/// <summary>CPU ticks of each party, and of the whole machine, at one moment.</summary>
public readonly record struct CpuSample(
    long Client,
    long Api,
    long Postgres,
    (long All, long Stolen) Machine
);

/// <summary>
/// CPU time from /proc, per process, so that the cost of one request can be measured even
/// on a machine others are using: throughput on a shared machine is noise, but the CPU a
/// request costs each party is not. PostgreSQL's is the postmaster's, with what its exited
/// children left in its cutime, plus every live backend's.
/// </summary>
public sealed class CpuMeter
{
    private readonly int _postmaster;
    private readonly double _ticksPerSecond;

    private CpuMeter(int postmaster, double ticksPerSecond)
    {
        _postmaster = postmaster;
        _ticksPerSecond = ticksPerSecond;
    }

    public static bool Available => File.Exists("/proc/self/stat");

    /// <summary>Finds the postmaster through a backend of ours, if the server runs on this host.</summary>
    public static async Task<CpuMeter?> ForAsync(
        string connectionString,
        CancellationToken cancellationToken
    )
    {
        if (!Available)
        {
            return null;
        }
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        int backend = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        long[]? fields = Read(backend);
        // USER_HZ is 100 on every Linux we run on; getconf would say so too.
        return fields is null ? null : new CpuMeter((int)fields[0], 100.0);
    }

    /// <summary>CPU ticks so far of the client (this process), the API and PostgreSQL.</summary>
    public CpuSample Sample(int apiProcessId) =>
        new(Own(Environment.ProcessId), Own(apiProcessId), Postgres(), MachineTicks());

    public CpuUse Since(CpuSample before, int apiProcessId)
    {
        CpuSample now = Sample(apiProcessId);
        return new CpuUse(
            (now.Client - before.Client) / _ticksPerSecond,
            (now.Api - before.Api) / _ticksPerSecond,
            (now.Postgres - before.Postgres) / _ticksPerSecond
        )
        {
            StolenShare = StolenShare(before.Machine, now.Machine),
        };
    }

    /// <summary>All CPU ticks of the machine so far, and those stolen, from /proc/stat.</summary>
    public static (long All, long Stolen) MachineTicks()
    {
        // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"; guest time
        // is counted in user already.
        string line = File.ReadLines("/proc/stat").First();
        long[] f =
        [
            .. line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Skip(1)
                .Take(8)
                .Select(v => long.Parse(v, CultureInfo.InvariantCulture)),
        ];
        return (f.Sum(), f[7]);
    }

    public static double StolenShare((long All, long Stolen) before, (long All, long Stolen) after)
    {
        long all = after.All - before.All;
        return all <= 0 ? 0 : (double)(after.Stolen - before.Stolen) / all;
    }

    /// <summary>Children of this process that have exited (pgbench) count in its cutime.</summary>
    public long ReapedChildren() => Read(Environment.ProcessId) is { } f ? f[3] + f[4] : 0;

    public long Postgres()
    {
        long total = Read(_postmaster) is { } p ? p[1] + p[2] + p[3] + p[4] : 0;
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (
                int.TryParse(Path.GetFileName(directory), out int pid)
                && pid != _postmaster
                && Read(pid) is { } f
                && f[0] == _postmaster
            )
            {
                total += f[1] + f[2];
            }
        }
        return total;
    }

    public double Seconds(long ticks) => ticks / _ticksPerSecond;

    private static long Own(int pid) => Read(pid) is { } f ? f[1] + f[2] : 0;

    /// <summary>ppid, utime, stime, cutime, cstime from /proc/pid/stat; null if it is gone.</summary>
    private static long[]? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null;
        }
        // The command name may hold spaces and parentheses; the fields follow its last ')'.
        string[] f = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return
        [
            long.Parse(f[1], CultureInfo.InvariantCulture),
            long.Parse(f[11], CultureInfo.InvariantCulture),
            long.Parse(f[12], CultureInfo.InvariantCulture),
            long.Parse(f[13], CultureInfo.InvariantCulture),
            long.Parse(f[14], CultureInfo.InvariantCulture),
        ];
    }
}
