using System.Globalization;
using System.Runtime.InteropServices;

namespace Ledger.LocalPostgres;

internal enum ProcessState
{
    Gone,
    Zombie,
    Alive,
}

/// <summary>
/// What pg_ctl cannot tell us, read from Linux's /proc: whether a postmaster is really alive,
/// and whether processes of a dead one still work in the data directory.
/// </summary>
internal static class ProcessTable
{
    private const string ProcDirectory = "/proc";
    private const int SignalQuit = 3;
    private const int ProcessesScannedMax = 4_194_304; // Linux's pid_max limit.

    /// <summary>
    /// A container whose init does not reap orphans keeps a dead postmaster as a zombie, which
    /// kill(pid, 0), and so pg_ctl status and the postmaster's own lock-file check, count as
    /// running. Only /proc/PID/stat tells the two apart.
    /// </summary>
    public static ProcessState StateOf(int pid)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Combine(ProcDirectory, Text(pid), "stat"));
        }
        catch (Exception exception) when (exception is IOException)
        {
            return ProcessState.Gone;
        }
        // The state follows the command name, which is in parentheses and may hold spaces.
        var afterName = stat[(stat.LastIndexOf(')') + 1)..].TrimStart();
        return afterName.StartsWith('Z') ? ProcessState.Zombie : ProcessState.Alive;
    }

    /// <summary>
    /// PostgreSQL processes run with the data directory as their working directory, which
    /// identifies them better than a pid that the kernel may have handed to someone else.
    /// </summary>
    public static bool WorksIn(int pid, string directory)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        return WorkingDirectory(Path.Combine(ProcDirectory, Text(pid))) == directory;
    }

    /// <summary>
    /// While any backend of a dead postmaster is alive, a new postmaster must not start on the
    /// same files.
    /// </summary>
    public static bool AnyWorksIn(string directory) => WorkingIn(directory).Any();

    /// <summary>The pids of the processes whose working directory is the given directory.</summary>
    public static IEnumerable<int> WorkingIn(string directory)
    {
        var scanned = 0;
        foreach (var entry in Directory.EnumerateDirectories(ProcDirectory))
        {
            scanned++;
            if (scanned > ProcessesScannedMax)
            {
                throw new InvalidOperationException($"{ProcDirectory} lists too many entries.");
            }
            var isProcess = int.TryParse(
                Path.GetFileName(entry),
                NumberStyles.None,
                CultureInfo.InvariantCulture,
                out var pid
            );
            if (isProcess && WorkingDirectory(entry) == directory)
            {
                yield return pid;
            }
        }
    }

    /// <summary>Sends a signal; false when the process is already gone (or not ours).</summary>
    public static bool Signal(int pid, int signal)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        return Kill(pid, signal) == 0;
    }

    /// <summary>SIGQUIT asks a postmaster for an immediate shutdown, with no checkpoint.</summary>
    public static void Quit(int pid)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pid);
        // A process that is already gone (ESRCH) needs no signal, so the result is not checked.
        _ = Kill(pid, SignalQuit);
    }

    private static string? WorkingDirectory(string processDirectory)
    {
        try
        {
            return new DirectoryInfo(Path.Combine(processDirectory, "cwd")).LinkTarget;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Gone meanwhile, a zombie, or another user's process: none of them can be ours.
            return null;
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    // DllImport rather than LibraryImport: the generated stub would need unsafe code, and two
    // ints need no marshalling.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
