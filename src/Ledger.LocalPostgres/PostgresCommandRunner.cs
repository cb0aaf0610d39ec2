using System.Diagnostics;

namespace Ledger.LocalPostgres;

internal sealed record CommandResult(int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>
/// Runs initdb, pg_ctl and chown. PostgreSQL refuses to run as root, so under root every
/// PostgreSQL tool runs through runuser as an unprivileged user that also owns the cluster.
/// </summary>
internal sealed class PostgresCommandRunner
{
    private const string RunuserPath = "/usr/sbin/runuser";
    private const string ChownPath = "/bin/chown";
    private const string PasswdPath = "/etc/passwd";
    private const string PreferredUser = "postgres";
    private const string FallbackUser = "nobody";
    private const int ChownTimeoutSeconds = 60;

    // A child that leaves our output pipes open must not hang us after it exited.
    private const int OutputDrainTimeoutSeconds = 5;

    private PostgresCommandRunner(string? runAsUser)
    {
        RunAsUser = runAsUser;
    }

    /// <summary>The user PostgreSQL runs as, or null to run it as ourselves.</summary>
    public string? RunAsUser { get; }

    public static PostgresCommandRunner ForCurrentProcess()
    {
        var isRoot = Environment.IsPrivilegedProcess || Environment.UserName == "root";
        if (!isRoot)
        {
            return new PostgresCommandRunner(runAsUser: null);
        }
        if (!File.Exists(RunuserPath))
        {
            throw new LocalPostgresUnavailableException(
                $"PostgreSQL refuses to run as root, and {RunuserPath} is missing to run it as "
                    + "another user. Run as an unprivileged user, or install util-linux."
            );
        }
        return new PostgresCommandRunner(UnprivilegedUser());
    }

    public Task<CommandResult> RunPostgresToolAsync(
        string tool,
        IReadOnlyList<string> arguments,
        string workingDirectory,
        int timeoutSeconds,
        CancellationToken cancellationToken
    )
    {
        if (RunAsUser is null)
        {
            return RunAsync(tool, arguments, workingDirectory, timeoutSeconds, cancellationToken);
        }
        string[] viaRunuser = ["-u", RunAsUser, "--", tool, .. arguments];
        return RunAsync(
            RunuserPath,
            viaRunuser,
            workingDirectory,
            timeoutSeconds,
            cancellationToken
        );
    }

    /// <summary>Hands the cluster directory to the run-as user; a no-op when not root.</summary>
    public async Task GiveOwnershipAsync(string directory, CancellationToken cancellationToken)
    {
        if (RunAsUser is null)
        {
            return;
        }
        // "user:" sets the group to the user's login group (postgres or nogroup).
        string[] arguments = ["-R", RunAsUser + ":", directory];
        var result = await RunAsync(
            ChownPath,
            arguments,
            directory,
            ChownTimeoutSeconds,
            cancellationToken
        );
        if (!result.Succeeded)
        {
            throw new LocalPostgresUnavailableException(
                $"chown of {directory} to {RunAsUser} failed: {result.Output}"
            );
        }
    }

    private static string UnprivilegedUser()
    {
        var hasPostgresUser =
            File.Exists(PasswdPath)
            && File.ReadLines(PasswdPath)
                .Any(line => line.StartsWith(PreferredUser + ":", StringComparison.Ordinal));
        return hasPostgresUser ? PreferredUser : FallbackUser;
    }

    private static async Task<CommandResult> RunAsync(
        string executable,
        IReadOnlyList<string> arguments,
        string workingDirectory,
        int timeoutSeconds,
        CancellationToken cancellationToken
    )
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timeoutSeconds);
        using var process =
            Process.Start(StartInfo(executable, arguments, workingDirectory))
            ?? throw new InvalidOperationException($"{executable} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        await WaitForExitAsync(process, executable, timeoutSeconds, cancellationToken);
        await Task.WhenAll(output, error)
            .WaitAsync(TimeSpan.FromSeconds(OutputDrainTimeoutSeconds), CancellationToken.None);
        return new CommandResult(process.ExitCode, (await output + await error).Trim());
    }

    private static async Task WaitForExitAsync(
        Process process,
        string executable,
        int timeoutSeconds,
        CancellationToken cancellationToken
    )
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(
                $"{Path.GetFileName(executable)} did not finish within {timeoutSeconds} s."
            );
        }
    }

    private static ProcessStartInfo StartInfo(
        string executable,
        IReadOnlyList<string> arguments,
        string workingDirectory
    )
    {
        var startInfo = new ProcessStartInfo(executable)
        {
            // The run-as user cannot enter root's home, and PostgreSQL tools complain when they
            // cannot access their working directory, so run inside the cluster directory.
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        return startInfo;
    }
}
