using Ledger.Api.Holds;
using Xunit;

namespace Ledger.Api.Tests.Holds;

/// <summary>
/// When a group loop may start beside another (docs/adr/0010-group-commit.md). The gate is
/// driven by hand here: each test sets the queue's length and enters and leaves as loops do.
/// </summary>
public sealed class GroupGateTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private int _queued;

    [Fact]
    public async Task A_loop_starts_at_once_when_no_other_group_is_under_way()
    {
        var gate = new GroupGate(8, () => _queued);
        _queued = 1;

        Task entered = gate.EnterAsync(CancellationToken.None);

        Assert.True(entered.IsCompletedSuccessfully);
        await entered;
        Assert.Equal(1, gate.Running);
    }

    [Fact]
    public async Task A_loop_waits_while_another_group_runs_until_enough_opens_are_queued()
    {
        var gate = new GroupGate(3, () => _queued);
        _queued = 1;
        await gate.EnterAsync(CancellationToken.None);

        Task second = gate.EnterAsync(CancellationToken.None);
        _queued = 2;
        gate.Queued();
        await Task.Delay(50);
        Assert.False(second.IsCompleted);

        _queued = 3;
        gate.Queued();
        await second.WaitAsync(Patience);
        Assert.Equal(2, gate.Running);
    }

    [Fact]
    public async Task A_waiting_loop_starts_when_the_other_group_has_ended()
    {
        var gate = new GroupGate(8, () => _queued);
        _queued = 1;
        await gate.EnterAsync(CancellationToken.None);

        Task second = gate.EnterAsync(CancellationToken.None);
        await Task.Delay(50);
        Assert.False(second.IsCompleted);

        gate.Exit();
        await second.WaitAsync(Patience);
        Assert.Equal(1, gate.Running);
    }

    // A minimum of 1 is the behaviour before the gate: a loop never waits.
    [Theory]
    [InlineData(4)]
    [InlineData(1)]
    public async Task A_loop_starts_beside_another_at_once_when_the_minimum_is_queued(int minimum)
    {
        var gate = new GroupGate(minimum, () => _queued);
        _queued = minimum;
        await gate.EnterAsync(CancellationToken.None);

        Task second = gate.EnterAsync(CancellationToken.None);

        Assert.True(second.IsCompletedSuccessfully);
        await second;
        Assert.Equal(2, gate.Running);
    }

    [Fact]
    public async Task Stopping_ends_a_wait_and_the_loop_is_not_counted_as_running()
    {
        var gate = new GroupGate(8, () => _queued);
        _queued = 1;
        await gate.EnterAsync(CancellationToken.None);
        using var stopping = new CancellationTokenSource();

        Task second = gate.EnterAsync(stopping.Token);
        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(Patience));
        Assert.Equal(1, gate.Running);
    }

    [Fact]
    public void Leaving_without_entering_is_a_bug()
    {
        var gate = new GroupGate(8, () => _queued);

        Assert.Throws<InvalidOperationException>(gate.Exit);
    }

    [Fact]
    public void A_minimum_below_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new GroupGate(0, () => _queued));
    }
}
