using System.Globalization;
using static Ledger.LocalPostgres.Tests.TestSupport;

namespace Ledger.LocalPostgres.Tests;

public sealed class PersistentClusterTests
{
    private const int ProcessGoneTimeoutSeconds = 10;

    [Fact]
    public async Task Persistent_cluster_keeps_data_across_restart()
    {
        var root = NewRootDirectory();
        try
        {
            var first = await LocalPostgresCluster.StartAsync(Options(root, throwaway: false));
            await ExecuteAsync(first.ConnectionString,
                "CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept VALUES (42)");
            await first.StopAsync();
            Assert.True(Directory.Exists(first.DataDirectory));

            var second = await LocalPostgresCluster.StartAsync(Options(root, throwaway: false));
            var kept = await ScalarAsync<int>(second.ConnectionString, "SELECT id FROM kept");
            await second.StopAsync();

            Assert.Equal(42, kept);
        }
        finally
        {
            DeleteDirectory(root);
        }
    }

    [Fact]
    public async Task Server_killed_with_sigkill_restarts_despite_its_stale_pid_file()
    {
        var root = NewRootDirectory();
        try
        {
            var first = await LocalPostgresCluster.StartAsync(Options(root, throwaway: false));
            await ExecuteAsync(first.ConnectionString, "CREATE TABLE survived (id int)");
            var pidFile = Path.Combine(first.DataDirectory, "postmaster.pid");
            await KillAndWaitAsync(ReadPostmasterPid(pidFile));
            Assert.True(File.Exists(pidFile));

            var second = await LocalPostgresCluster.StartAsync(Options(root, throwaway: false));
            var rows = await ScalarAsync<long>(second.ConnectionString, "SELECT count(*) FROM survived");
            await second.StopAsync();

            Assert.True(second.StartedByThisProcess);
            Assert.Equal(0, rows);
        }
        finally
        {
            DeleteDirectory(root);
        }
    }

    private static int ReadPostmasterPid(string pidFile) =>
        int.Parse(File.ReadLines(pidFile).First(), CultureInfo.InvariantCulture);

    /// <summary>SIGKILL, then wait until the postmaster is gone (or only a zombie is left).</summary>
    private static async Task KillAndWaitAsync(int pid)
    {
        using (var postmaster = System.Diagnostics.Process.GetProcessById(pid))
        {
            postmaster.Kill();
        }
        var deadline = DateTime.UtcNow.AddSeconds(ProcessGoneTimeoutSeconds);
        while (IsAlive(pid))
        {
            Assert.True(DateTime.UtcNow < deadline, $"postmaster {pid} survived SIGKILL");
            await Task.Delay(50);
        }
    }

    private static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }
        // The third field of /proc/<pid>/stat is the state; Z is a zombie that nobody reaped.
        var fields = File.ReadAllText(stat).Split(") ")[^1];
        return !fields.StartsWith('Z');
    }
}
