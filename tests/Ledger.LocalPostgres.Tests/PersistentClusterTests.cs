using System.Globalization;
using static Ledger.LocalPostgres.Tests.TestSupport;

namespace Ledger.LocalPostgres.Tests;

public sealed class PersistentClusterTests : IDisposable
{
    private const int ProcessGoneTimeoutSeconds = 10;
    private readonly string root = NewRootDirectory();

    public void Dispose() => DeleteDirectory(root);

    [Fact]
    public async Task Persistent_cluster_keeps_data_across_restart()
    {
        await using (var first = await LocalPostgresCluster.StartAsync(Options(root, false)))
        {
            await ExecuteAsync(
                first.ConnectionString,
                "CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept VALUES (42)"
            );
        }
        Assert.True(File.Exists(Path.Combine(root, "data", "PG_VERSION")));

        await using var second = await LocalPostgresCluster.StartAsync(Options(root, false));
        var kept = await ScalarAsync<int>(second.ConnectionString, "SELECT id FROM kept");

        Assert.True(second.StartedByThisProcess);
        Assert.Equal(42, kept);
    }

    [Fact]
    public async Task Server_killed_with_sigkill_restarts_despite_its_stale_pid_file()
    {
        // Durable, because a non-durable server may lose its last commits when killed.
        var options = Options(root, throwaway: false) with
        {
            Durable = true,
        };
        var first = await LocalPostgresCluster.StartAsync(options);
        await ExecuteAsync(
            first.ConnectionString,
            "CREATE TABLE survived (id int); INSERT INTO survived VALUES (1)"
        );
        var pidFile = Path.Combine(first.DataDirectory, "postmaster.pid");
        await KillAndWaitAsync(ReadPostmasterPid(pidFile));
        Assert.True(File.Exists(pidFile));

        await using var second = await LocalPostgresCluster.StartAsync(options);
        var rows = await ScalarAsync<long>(
            second.ConnectionString,
            "SELECT count(*) FROM survived"
        );

        Assert.True(second.StartedByThisProcess);
        Assert.Equal(1, rows);
    }

    private static int ReadPostmasterPid(string pidFile) =>
        int.Parse(File.ReadLines(pidFile).First(), CultureInfo.InvariantCulture);

    /// <summary>SIGKILL, then wait until the postmaster is gone or only a zombie is left.</summary>
    private static async Task KillAndWaitAsync(int pid)
    {
        using (var postmaster = System.Diagnostics.Process.GetProcessById(pid))
        {
            postmaster.Kill();
        }
        var deadline = DateTime.UtcNow.AddSeconds(ProcessGoneTimeoutSeconds);
        while (ProcessTable.StateOf(pid) == ProcessState.Alive)
        {
            Assert.True(DateTime.UtcNow < deadline, $"postmaster {pid} survived SIGKILL");
            await Task.Delay(20);
        }
    }
}
