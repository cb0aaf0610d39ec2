using System.Globalization;

namespace Ledger.Testing;

/// <summary>
/// Names the throwaway cluster directory of each test process and cleans up after dead ones.
///
/// A throwaway cluster deletes its directory at process exit, but vstest kills the test host
/// 100 ms after the run ends, often before a 40 MB delete finishes. So each directory gets an
/// owner file beside it (pid and start time), and the next test process deletes the directories
/// whose owner is gone. Leftovers are thus bounded to one run.
/// </summary>
internal static class TestClusterDirectories
{
    private const string DirectoryPrefix = "ledger-test-";
    private const string OwnerFileSuffix = ".owner";
    private const int OwnerFilesSweptMax = 100;

    // Field 22 of /proc/PID/stat, counted from the state (field 3) at index 0.
    private const int StartTimeFieldIndex = 22 - 3;

    /// <summary>A new directory path, with its owner file already written.</summary>
    public static string Claim()
    {
        var root = Path.Combine(Path.GetTempPath(), $"{DirectoryPrefix}{Guid.NewGuid():N}");
        File.WriteAllText(root + OwnerFileSuffix, OwnerText(Environment.ProcessId));
        return root;
    }

    /// <summary>
    /// At process exit, after the cluster's own handler: drops the owner file once the directory
    /// is gone. If the host was killed first, SweepDeadOwners finishes the job next run.
    /// </summary>
    public static void ReleaseAtProcessExit(string root)
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (!Directory.Exists(root))
            {
                File.Delete(root + OwnerFileSuffix);
            }
        };
    }

    /// <summary>
    /// Deletes directories whose owner process has exited. A postmaster still running in one
    /// (its owner was killed) notices within a minute that its postmaster.pid is gone and shuts
    /// itself down. Failures leave the owner file, so a later run tries again.
    /// </summary>
    public static void SweepDeadOwners()
    {
        var ownerFiles = Directory
            .EnumerateFiles(Path.GetTempPath(), DirectoryPrefix + "*" + OwnerFileSuffix)
            .Take(OwnerFilesSweptMax);
        foreach (var ownerFile in ownerFiles)
        {
            try
            {
                SweepIfOwnerIsDead(ownerFile);
            }
            catch (Exception exception)
                when (exception is IOException or UnauthorizedAccessException)
            {
                // Another process may be sweeping the same file, or it belongs to another user.
            }
        }
    }

    private static void SweepIfOwnerIsDead(string ownerFile)
    {
        var owner = File.ReadAllText(ownerFile).Trim();
        var pidText = owner.Split(' ')[0];
        var isPid = int.TryParse(
            pidText,
            NumberStyles.None,
            CultureInfo.InvariantCulture,
            out var pid
        );
        if (isPid && pid > 0 && OwnerText(pid) == owner)
        {
            return;
        }
        var root = ownerFile[..^OwnerFileSuffix.Length];
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
        File.Delete(ownerFile);
    }

    /// <summary>
    /// Pid plus start time (field 22 of /proc/PID/stat, in clock ticks since boot), so that a
    /// recycled pid does not pass for the owner. Process.StartTime would not do: each process
    /// derives it from its own reading of the boot time, so two processes disagree slightly.
    /// </summary>
    private static string OwnerText(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (IOException)
        {
            return "";
        }
        // Fields after the parenthesized command name start at field 3, the state.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > StartTimeFieldIndex
            ? $"{pid.ToString(CultureInfo.InvariantCulture)} {fields[StartTimeFieldIndex]}"
            : "";
    }
}
