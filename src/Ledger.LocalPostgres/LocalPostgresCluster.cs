using System.ComponentModel;
using System.Text.RegularExpressions;
using Npgsql;

namespace Ledger.LocalPostgres;

/// <summary>
/// A private PostgreSQL server in a directory this process owns: initialized on first use,
/// started on a free loopback port, and stopped (and deleted, if throwaway) when disposed.
/// </summary>
public sealed partial class LocalPostgresCluster : IAsyncDisposable
{
    private const string Host = "127.0.0.1";
    private const string AdminDatabaseName = "postgres";
    private const int StartTimeoutSecondsMax = 600;

    // Linux's signal numbers on x86-64 and arm64, the platforms this library runs PostgreSQL on.
    private const int SignalContinue = 18;
    private const int SignalStop = 19;

    // Each pass stops the processes found; a backend forked before the postmaster stopped is
    // found by the next pass, and a stopped postmaster forks no more.
    private const int SuspendPassesMax = 10;

    private readonly ClusterControl control;
    private readonly bool throwaway;
    private readonly int startTimeoutSeconds;
    private readonly Lock stopLock = new();
    private Task? stopTask;

    private LocalPostgresCluster(
        ClusterControl control,
        LocalPostgresOptions options,
        RunningServer server,
        string password
    )
    {
        this.control = control;
        throwaway = options.Throwaway;
        startTimeoutSeconds = options.StartTimeoutSeconds;
        Port = server.Port;
        StartedByThisProcess = server.StartedByThisProcess;
        DataDirectory = control.Layout.DataDirectory;
        ConnectionString = BuildConnectionString(server.Port, options.DatabaseName, password);
        AdminConnectionString = BuildConnectionString(server.Port, AdminDatabaseName, password);
    }

    public string ConnectionString { get; }

    public string AdminConnectionString { get; }

    public int Port { get; }

    public string DataDirectory { get; }

    /// <summary>False when we adopted a server that a killed owner left running.</summary>
    internal bool StartedByThisProcess { get; }

    /// <summary>
    /// False when this process runs as root, so PostgreSQL would run as another user, and a
    /// directory above <paramref name="rootDirectory"/> is closed to that user: StartAsync
    /// would refuse it.
    /// </summary>
    public static bool CanRunAsUserReach(string rootDirectory) =>
        PostgresCommandRunner.ForCurrentProcess().RunAsUser is null
        || !new ClusterLayout(rootDirectory).AncestorsClosedToOthers().Any();

    public static async Task<LocalPostgresCluster> StartAsync(
        LocalPostgresOptions options,
        CancellationToken cancellationToken = default
    )
    {
        Validate(options);
        var control = new ClusterControl(
            options,
            new ClusterLayout(options.RootDirectory),
            PostgresBinaries.Discover(options.BinDirectory),
            PostgresCommandRunner.ForCurrentProcess()
        );
        var started = false;
        try
        {
            var cluster = await StartCoreAsync(control, options, cancellationToken);
            started = true;
            return cluster;
        }
        finally
        {
            if (!started)
            {
                await AbandonAsync(control, options);
            }
        }
    }

    /// <summary>
    /// Stops the server with pg_ctl stop -m fast, even one we adopted: this process owns the
    /// cluster in its directory. Later calls return the first call's task.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (stopLock)
        {
            stopTask ??= StopOnceAsync(cancellationToken);
            return stopTask;
        }
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    /// <summary>
    /// A crash as far as the data is concerned (pg_ctl stop -m immediate: no checkpoint, WAL
    /// recovery on the next start). For fault injection; <see cref="RestartAsync"/> brings the
    /// server back.
    /// </summary>
    public Task StopImmediatelyAsync(CancellationToken cancellationToken = default) =>
        control.StopServerAsync(ClusterControl.ImmediateShutdownMode, cancellationToken);

    /// <summary>
    /// Starts the server again after a stop, on the same port, so that connection strings
    /// already handed out still reach it; returns once it accepts logins.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await control.StartServerOnPortAsync(Port, cancellationToken);
        await ServerSetup.WaitUntilAcceptingConnectionsAsync(
            AdminConnectionString,
            startTimeoutSeconds,
            control.Layout.LogTail,
            cancellationToken
        );
    }

    /// <summary>
    /// Stalls the whole server, postmaster and every backend, with SIGSTOP: connections stay
    /// open and nothing answers, as on a frozen host. For fault injection; returns how many
    /// processes were stopped. <see cref="Resume"/> undoes it.
    /// </summary>
    public int Suspend()
    {
        var stopped = new HashSet<int>();
        var postmaster = control.Layout.TryReadPostmasterPid();
        if (
            postmaster is not null
            && ProcessTable.WorksIn(postmaster.Value, DataDirectory)
            && ProcessTable.Signal(postmaster.Value, SignalStop)
        )
        {
            stopped.Add(postmaster.Value);
        }
        for (var pass = 0; pass < SuspendPassesMax; pass++)
        {
            var found = ProcessTable
                .WorkingIn(DataDirectory)
                .Where(pid => !stopped.Contains(pid))
                .ToList();
            if (found.Count == 0)
            {
                break;
            }
            foreach (var pid in found)
            {
                ProcessTable.Signal(pid, SignalStop);
                stopped.Add(pid);
            }
        }
        return stopped.Count;
    }

    /// <summary>SIGCONT to every process of the server; returns how many were signalled.</summary>
    public int Resume() =>
        ProcessTable
            .WorkingIn(DataDirectory)
            .Count(pid => ProcessTable.Signal(pid, SignalContinue));

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex DatabaseNamePattern();

    private static void Validate(LocalPostgresOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.RootDirectory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.StartTimeoutSeconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(
            options.StartTimeoutSeconds,
            StartTimeoutSecondsMax
        );
        if (!DatabaseNamePattern().IsMatch(options.DatabaseName))
        {
            throw new ArgumentException(
                $"DatabaseName '{options.DatabaseName}' must match {DatabaseNamePattern()}.",
                nameof(options)
            );
        }
    }

    private static async Task<LocalPostgresCluster> StartCoreAsync(
        ClusterControl control,
        LocalPostgresOptions options,
        CancellationToken cancellationToken
    )
    {
        var password = await control.PrepareDirectoryAsync(cancellationToken);
        var server = await control.EnsureRunningAsync(cancellationToken);
        var cluster = new LocalPostgresCluster(control, options, server, password);
        await ServerSetup.WaitUntilAcceptingConnectionsAsync(
            cluster.AdminConnectionString,
            options.StartTimeoutSeconds,
            control.Layout.LogTail,
            cancellationToken
        );
        await ServerSetup.CreateDatabaseIfMissingAsync(
            cluster.AdminConnectionString,
            options.DatabaseName,
            cancellationToken
        );
        if (options.Throwaway)
        {
            // A test process that ends without disposing must not leak a running postgres.
            AppDomain.CurrentDomain.ProcessExit += cluster.OnProcessExit;
        }
        return cluster;
    }

    /// <summary>
    /// Best effort after a failed start, so that a half-started throwaway cluster does not leak.
    /// The start failure is what the caller needs to see, so a cleanup failure is only printed.
    /// </summary>
    private static async Task AbandonAsync(ClusterControl control, LocalPostgresOptions options)
    {
        try
        {
            await control.StopServerAsync(CancellationToken.None);
            if (options.Throwaway)
            {
                control.DeleteRootDirectory();
            }
        }
        catch (Exception exception) when (IsOperatingError(exception))
        {
            await Console.Error.WriteLineAsync(
                $"Ledger.LocalPostgres: cleanup after a failed start failed: {exception.Message}"
            );
        }
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        // A suspended server would ignore pg_ctl stop until its timeout.
        Resume();
        // A restart may reuse this port; pooled connections to the old server would then fail.
        await using (var application = new NpgsqlConnection(ConnectionString))
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            NpgsqlConnection.ClearPool(application);
            NpgsqlConnection.ClearPool(admin);
        }
        await control.StopServerAsync(cancellationToken);
        if (throwaway)
        {
            control.DeleteRootDirectory();
        }
    }

    /// <summary>
    /// Runs while the process exits, so stderr is the only place left to report to. It cannot
    /// use StopAsync: vstest kills a test host 100 ms after the run ends
    /// (VSTEST_TESTHOST_SHUTDOWN_TIMEOUT), and pg_ctl stop alone takes about that long. So the
    /// server gets SIGQUIT first, which is done in a millisecond, and the directory delete that
    /// follows is best effort.
    /// </summary>
    private void OnProcessExit(object? sender, EventArgs eventArgs)
    {
        lock (stopLock)
        {
            if (stopTask is not null)
            {
                return;
            }
            stopTask = Task.CompletedTask;
        }
        try
        {
            Resume();
            control.QuitImmediately();
            control.DeleteRootDirectory();
        }
        catch (Exception exception) when (IsOperatingError(exception))
        {
            Console.Error.WriteLine(
                $"Ledger.LocalPostgres: could not stop {DataDirectory} at exit: "
                    + exception.Message
            );
        }
    }

    private static bool IsOperatingError(Exception exception) =>
        exception
            is IOException
                or UnauthorizedAccessException
                or TimeoutException
                or InvalidOperationException
                or LocalPostgresUnavailableException
                or Win32Exception;

    private static string BuildConnectionString(int port, string database, string password) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = port,
            Database = database,
            Username = ClusterControl.SuperuserName,
            Password = password,
        }.ConnectionString;
}
