using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Ledger.LocalPostgres;

internal sealed record RunningServer(int Port, bool StartedByThisProcess);

/// <summary>The pg_ctl and initdb steps for one cluster directory.</summary>
internal sealed class ClusterControl(
    LocalPostgresOptions options,
    ClusterLayout layout,
    PostgresBinaries binaries,
    PostgresCommandRunner runner
)
{
    public const string SuperuserName = "ledger";
    public const string FastShutdownMode = "fast";
    public const string ImmediateShutdownMode = "immediate";
    private const int InitDbTimeoutSeconds = 120;
    private const int StatusTimeoutSeconds = 10;
    private const int StopTimeoutSeconds = 30;

    // pg_ctl enforces its own -t timeout; ours only catches a pg_ctl that hangs beyond it.
    private const int PgCtlGraceSeconds = 10;
    private const int QuitTimeoutSeconds = 5;

    // Backends notice a dead postmaster within milliseconds; this bounds a stuck one.
    private const int OrphanExitTimeoutSeconds = 10;
    private const int PollIntervalMilliseconds = 10;
    private const int PortAttemptsMax = 3;
    private const int MaxConnections = 200;
    private const int PortMin = 1;
    private const int PortMax = 65535;
    private const int PgCtlStatusRunning = 0;
    private const string AddressInUseMessage = "Address already in use";

    // Each of these loses committed data on a crash; they are for throwaway test clusters.
    private const string NonDurableSettings =
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off";

    public ClusterLayout Layout => layout;

    /// <summary>Creates the directory and password, and hands both to the run-as user.</summary>
    public async Task<string> PrepareDirectoryAsync(CancellationToken cancellationToken)
    {
        layout.CreateRootDirectory();
        EnsureRunAsUserCanReachRoot();
        var password = layout.ReadOrCreatePassword();
        await runner.GiveOwnershipAsync(layout.RootDirectory, cancellationToken);
        return password;
    }

    /// <summary>
    /// Initializes the cluster if needed and starts it, or adopts a server that is already
    /// running in this directory (its previous owner was killed before it could stop it).
    /// </summary>
    public async Task<RunningServer> EnsureRunningAsync(CancellationToken cancellationToken)
    {
        if (!layout.IsInitialized)
        {
            await InitializeAsync(cancellationToken);
        }
        else if (await IsRunningAsync(cancellationToken))
        {
            return new RunningServer(layout.ReadPortFromPidFile(), StartedByThisProcess: false);
        }
        else
        {
            await RemovePidFileOfZombiePostmasterAsync(cancellationToken);
        }
        // A postmaster.pid left by a crashed server is fine here: the new postmaster sees that
        // the recorded process is gone and replaces the file.
        var port = await StartServerAsync(cancellationToken);
        return new RunningServer(port, StartedByThisProcess: true);
    }

    /// <summary>pg_ctl status, corrected for a dead postmaster that nobody has reaped.</summary>
    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken)
    {
        var result = await runner.RunPostgresToolAsync(
            binaries.PgCtl,
            ["status", "-D", layout.DataDirectory],
            layout.RootDirectory,
            StatusTimeoutSeconds,
            cancellationToken
        );
        var pid = layout.TryReadPostmasterPid();
        return result.ExitCode == PgCtlStatusRunning
            && pid is not null
            && ProcessTable.StateOf(pid.Value) == ProcessState.Alive;
    }

    /// <summary>
    /// For process exit, where the test host may be killed 100 ms later: SIGQUIT needs no child
    /// process and no 100 ms polling as pg_ctl stop does, and it skips the shutdown checkpoint,
    /// which a throwaway cluster does not need.
    /// </summary>
    public void QuitImmediately()
    {
        var pid = layout.TryReadPostmasterPid();
        if (pid is null || !ProcessTable.WorksIn(pid.Value, layout.DataDirectory))
        {
            return;
        }
        ProcessTable.Quit(pid.Value);
        var elapsed = Stopwatch.StartNew();
        while (
            ProcessTable.StateOf(pid.Value) == ProcessState.Alive
            && elapsed.Elapsed < TimeSpan.FromSeconds(QuitTimeoutSeconds)
        )
        {
            Thread.Sleep(PollIntervalMilliseconds);
        }
    }

    /// <summary>Stops the server if it runs; a server already gone is not an error.</summary>
    public Task StopServerAsync(CancellationToken cancellationToken) =>
        StopServerAsync(FastShutdownMode, cancellationToken);

    /// <summary>
    /// pg_ctl stop in the given mode: "fast" rolls back and checkpoints; "immediate" is a crash
    /// as far as the data is concerned, and the next start runs WAL recovery.
    /// </summary>
    public async Task StopServerAsync(string mode, CancellationToken cancellationToken)
    {
        if (mode is not (FastShutdownMode or ImmediateShutdownMode))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "fast or immediate");
        }
        if (!layout.IsInitialized || !await IsRunningAsync(cancellationToken))
        {
            return;
        }
        var result = await runner.RunPostgresToolAsync(
            binaries.PgCtl,
            ["stop", "-D", layout.DataDirectory, "-m", mode, "-w", "-t", Text(StopTimeoutSeconds)],
            layout.RootDirectory,
            StopTimeoutSeconds + PgCtlGraceSeconds,
            cancellationToken
        );
        if (!result.Succeeded && await IsRunningAsync(cancellationToken))
        {
            throw new InvalidOperationException(
                $"pg_ctl stop failed for {layout.DataDirectory}: {result.Output}\n{LogTailText()}"
            );
        }
    }

    /// <summary>
    /// Starts a stopped server on the port it had, so that clients holding its connection
    /// string reach it again (the fault-injection harness restarts PostgreSQL under a running
    /// service). A server that already runs is left alone.
    /// </summary>
    public async Task StartServerOnPortAsync(int port, CancellationToken cancellationToken)
    {
        if (await IsRunningAsync(cancellationToken))
        {
            return;
        }
        await RemovePidFileOfZombiePostmasterAsync(cancellationToken);
        var result = await RunPgCtlStartAsync(port, cancellationToken);
        if (!result.Succeeded)
        {
            throw new LocalPostgresUnavailableException(
                $"pg_ctl start on port {port} failed for {layout.DataDirectory}: {result.Output}\n"
                    + LogTailText()
            );
        }
    }

    public void DeleteRootDirectory()
    {
        if (Directory.Exists(layout.RootDirectory))
        {
            Directory.Delete(layout.RootDirectory, recursive: true);
        }
    }

    /// <summary>
    /// The -o value for pg_ctl. pg_ctl passes it through a shell, so it holds only fixed text
    /// and integers that we chose, never text from options or the environment.
    /// </summary>
    internal static string ServerOptions(int port, bool durable)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, PortMin);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, PortMax);
        // Loopback only, and no Unix socket: the default socket directory is not writable by an
        // unprivileged user, and two clusters would collide there.
        var serverOptions = string.Create(
            CultureInfo.InvariantCulture,
            $"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' "
                + $"-c max_connections={MaxConnections}"
        );
        return durable ? serverOptions : serverOptions + " " + NonDurableSettings;
    }

    private void EnsureRunAsUserCanReachRoot()
    {
        if (runner.RunAsUser is null)
        {
            return;
        }
        var closed = layout.AncestorsClosedToOthers().ToArray();
        if (closed.Length > 0)
        {
            throw new LocalPostgresUnavailableException(
                $"PostgreSQL runs as {runner.RunAsUser}, who cannot enter "
                    + $"{string.Join(", ", closed)} to reach {layout.RootDirectory}. "
                    + "Use a RootDirectory under /tmp, or chmod o+x."
            );
        }
    }

    /// <summary>
    /// PostgreSQL replaces the postmaster.pid of a dead server itself, but it takes a zombie for
    /// a live server and refuses to start. Once no backend of the dead server works in the data
    /// directory any more, the file is stale and safe to remove.
    /// </summary>
    private async Task RemovePidFileOfZombiePostmasterAsync(CancellationToken cancellationToken)
    {
        var pid = layout.TryReadPostmasterPid();
        if (pid is null || ProcessTable.StateOf(pid.Value) != ProcessState.Zombie)
        {
            return;
        }
        var elapsed = Stopwatch.StartNew();
        while (ProcessTable.AnyWorksIn(layout.DataDirectory))
        {
            if (elapsed.Elapsed > TimeSpan.FromSeconds(OrphanExitTimeoutSeconds))
            {
                throw new LocalPostgresUnavailableException(
                    $"The postmaster of {layout.DataDirectory} (pid {pid}) died, but its "
                        + $"backends still run after {OrphanExitTimeoutSeconds} s."
                );
            }
            await Task.Delay(PollIntervalMilliseconds, cancellationToken);
        }
        File.Delete(layout.PidFile);
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var withLocale = await RunInitDbAsync("--locale=C.UTF-8", cancellationToken);
        if (withLocale.Succeeded)
        {
            return;
        }
        // Minimal images may lack the C.UTF-8 locale; the plain C locale exists everywhere.
        var withoutLocale = await RunInitDbAsync("--no-locale", cancellationToken);
        if (!withoutLocale.Succeeded)
        {
            throw new LocalPostgresUnavailableException(
                $"initdb failed for {layout.DataDirectory}:\n{withLocale.Output}\n"
                    + withoutLocale.Output
            );
        }
    }

    private Task<CommandResult> RunInitDbAsync(
        string localeArgument,
        CancellationToken cancellationToken
    )
    {
        List<string> arguments =
        [
            "-D",
            layout.DataDirectory,
            "-U",
            SuperuserName,
            "--auth=scram-sha-256",
            "--pwfile=" + layout.PasswordFile,
            "-E",
            "UTF8",
            localeArgument,
        ];
        if (!options.Durable)
        {
            // Skipping the final fsync of the new cluster saves seconds per test cluster.
            arguments.Add("--no-sync");
        }
        return runner.RunPostgresToolAsync(
            binaries.InitDb,
            arguments,
            layout.RootDirectory,
            InitDbTimeoutSeconds,
            cancellationToken
        );
    }

    private async Task<int> StartServerAsync(CancellationToken cancellationToken)
    {
        var failure = "";
        for (var attempt = 1; attempt <= PortAttemptsMax; attempt++)
        {
            var port = FreeLoopbackPort();
            var logOffsetBytes = layout.LogLengthBytes();
            var result = await RunPgCtlStartAsync(port, cancellationToken);
            if (result.Succeeded)
            {
                return port;
            }
            failure = result.Output;
            // Another process may take the port between our probe and the server's bind. Only
            // that failure is worth another port; any other would just repeat.
            var newLog = layout.LogSince(logOffsetBytes);
            if (!newLog.Contains(AddressInUseMessage, StringComparison.Ordinal))
            {
                break;
            }
        }
        throw new LocalPostgresUnavailableException(
            $"pg_ctl start failed for {layout.DataDirectory}: {failure}\n{LogTailText()}"
        );
    }

    private Task<CommandResult> RunPgCtlStartAsync(int port, CancellationToken cancellationToken)
    {
        string[] arguments =
        [
            "start",
            "-D",
            layout.DataDirectory,
            "-l",
            layout.LogFile,
            "-w",
            "-t",
            Text(options.StartTimeoutSeconds),
            "-o",
            ServerOptions(port, options.Durable),
        ];
        return runner.RunPostgresToolAsync(
            binaries.PgCtl,
            arguments,
            layout.RootDirectory,
            options.StartTimeoutSeconds + PgCtlGraceSeconds,
            cancellationToken
        );
    }

    private string LogTailText() => $"Last lines of {layout.LogFile}:\n{layout.LogTail()}";

    /// <summary>Asks the kernel for a free loopback port; the server binds it soon after.</summary>
    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
