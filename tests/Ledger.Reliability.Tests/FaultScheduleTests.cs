using Ledger.Torture;

namespace Ledger.Reliability.Tests;

/// <summary>The fault schedule comes from the seed alone, so a failed run can be rerun.</summary>
public sealed class FaultScheduleTests
{
    private const int ShortSeconds = TortureOptions.ShortDurationSecondsDefault;

    /// <summary>The API's command timeout, which a stall must outlast.</summary>
    private const int CommandTimeoutSeconds = 5;

    [Theory]
    [InlineData(TortureMode.Short, 70)]
    [InlineData(TortureMode.Long, 1_800)]
    public void The_same_seed_gives_the_same_fault_schedule(TortureMode mode, int seconds)
    {
        IReadOnlyList<ScheduledFault> first = Schedule(mode, 42, seconds);
        IReadOnlyList<ScheduledFault> again = Schedule(mode, 42, seconds);
        IReadOnlyList<ScheduledFault> other = Schedule(mode, 43, seconds);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(20261121)]
    public void Short_mode_has_three_api_kills_one_restart_and_one_stall_within_the_workload(
        int seed
    )
    {
        IReadOnlyList<ScheduledFault> faults = Schedule(TortureMode.Short, seed, ShortSeconds);

        Assert.Equal(FaultSchedule.ShortApiKills, faults.Count(f => f.Kind == FaultKind.ApiKill));
        Assert.Equal(
            FaultSchedule.ShortPostgresRestarts,
            faults.Count(f => f.Kind == FaultKind.PostgresRestart)
        );
        Assert.Equal(
            FaultSchedule.ShortPostgresStalls,
            faults.Count(f => f.Kind == FaultKind.PostgresStall)
        );
        Assert.All(faults, f => Assert.InRange(f.At.TotalSeconds, 0, ShortSeconds));
    }

    [Theory]
    [InlineData(TortureMode.Short)]
    [InlineData(TortureMode.Long)]
    public void Every_stall_outlasts_the_api_command_timeout(TortureMode mode)
    {
        IReadOnlyList<ScheduledFault> faults = Schedule(mode, 42, 1_800);

        Assert.All(
            faults.Where(f => f.Kind == FaultKind.PostgresStall),
            f => Assert.True(f.Hold.TotalSeconds > CommandTimeoutSeconds, $"{f}")
        );
    }

    private static IReadOnlyList<ScheduledFault> Schedule(
        TortureMode mode,
        int seed,
        int seconds
    ) => FaultSchedule.Create(TortureOptions.For(mode, seed, seconds));
}
