namespace Ledger.Torture;

/// <summary>A fault at a moment of the workload; Hold is how long PostgreSQL stays out.</summary>
public sealed record ScheduledFault(TimeSpan At, FaultKind Kind, TimeSpan Hold);

/// <summary>
/// The faults of a run, drawn from the seed alone. The short mode always has three API kills,
/// one PostgreSQL restart and one stall, each at a random moment of its own slot; the long
/// mode draws a fault every 10-30 s. Dropped connections are not scheduled here: every worker
/// drops a share of its own sends.
/// </summary>
public static class FaultSchedule
{
    public const int ShortApiKills = 3;
    public const int ShortPostgresRestarts = 1;
    public const int ShortPostgresStalls = 1;

    /// <summary>Longer than the API's command timeout (5 s), so that commands time out.</summary>
    public const int StallSecondsMin = 7;
    public const int StallSecondsMax = 9;
    public const int DownSecondsMin = 1;
    public const int DownSecondsMax = 4;

    private const int LeadSeconds = 5;
    private const int TailSeconds = 8;
    private const int LongGapSecondsMin = 10;
    private const int LongGapSecondsMax = 30;
    private const double SlotJitterShare = 0.5;
    private const int FaultsMax = 10_000;

    public static IReadOnlyList<ScheduledFault> Create(TortureOptions options)
    {
        var random = new Random(options.Seed);
        return options.Mode == TortureMode.Short
            ? ShortSchedule(random, options.DurationSeconds)
            : LongSchedule(random, options.DurationSeconds);
    }

    private static List<ScheduledFault> ShortSchedule(Random random, int durationSeconds)
    {
        List<FaultKind> kinds =
        [
            .. Enumerable.Repeat(FaultKind.ApiKill, ShortApiKills),
            .. Enumerable.Repeat(FaultKind.PostgresRestart, ShortPostgresRestarts),
            .. Enumerable.Repeat(FaultKind.PostgresStall, ShortPostgresStalls),
        ];
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(kinds));
        double windowSeconds = Math.Max(1, durationSeconds - LeadSeconds - TailSeconds);
        double slotSeconds = windowSeconds / kinds.Count;
        return
        [
            .. kinds.Select(
                (kind, i) =>
                {
                    double jitterSeconds = random.NextDouble() * slotSeconds * SlotJitterShare;
                    TimeSpan at = TimeSpan.FromSeconds(
                        LeadSeconds + i * slotSeconds + jitterSeconds
                    );
                    return new ScheduledFault(at, kind, HoldFor(kind, random));
                }
            ),
        ];
    }

    private static List<ScheduledFault> LongSchedule(Random random, int durationSeconds)
    {
        var faults = new List<ScheduledFault>();
        double at = LeadSeconds + random.Next(LongGapSecondsMin);
        while (at < durationSeconds - TailSeconds && faults.Count < FaultsMax)
        {
            double roll = random.NextDouble();
            FaultKind kind =
                roll < 0.4 ? FaultKind.ApiKill
                : roll < 0.7 ? FaultKind.PostgresRestart
                : FaultKind.PostgresStall;
            TimeSpan hold = HoldFor(kind, random);
            faults.Add(new ScheduledFault(TimeSpan.FromSeconds(at), kind, hold));
            at += hold.TotalSeconds + random.Next(LongGapSecondsMin, LongGapSecondsMax + 1);
        }
        return faults;
    }

    private static TimeSpan HoldFor(FaultKind kind, Random random) =>
        kind switch
        {
            FaultKind.PostgresStall => TimeSpan.FromSeconds(
                StallSecondsMin + random.NextDouble() * (StallSecondsMax - StallSecondsMin)
            ),
            FaultKind.PostgresRestart => TimeSpan.FromSeconds(
                DownSecondsMin + random.NextDouble() * (DownSecondsMax - DownSecondsMin)
            ),
            _ => TimeSpan.Zero,
        };
}
