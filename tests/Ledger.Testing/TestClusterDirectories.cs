using System.Diagnostics;
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

    /// <summary>A new directory path, with its owner file already written.</summary>
    public static string Claim()
    {
        var root = Path.Combine(Path.GetTempPath(), $"{DirectoryPrefix}{Guid.NewGuid():N}");
        File.WriteAllText(root + OwnerFileSuffix, OwnerText(Environment.ProcessId));
        return root;
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
            catch (Exception exception) when (exception is IOException
                or UnauthorizedAccessException)
            {
                // Another process may be sweeping the same file, or it belongs to another user.
            }
        }
    }

    private static void SweepIfOwnerIsDead(string ownerFile)
    {
        var owner = File.ReadAllText(ownerFile).Trim();
        var pidText = owner.Split(' ')[0];
        var isPid = int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid);
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

    /// <summary>Pid plus start time, so that a recycled pid does not pass for the owner.</summary>
    private static string OwnerText(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            var startTicks = process.StartTime.ToUniversalTime().Ticks;
            return string.Create(CultureInfo.InvariantCulture, $"{pid} {startTicks}");
        }
        catch (ArgumentException)
        {
            // GetProcessById throws ArgumentException when no such process runs.
            return "";
        }
    }
}
