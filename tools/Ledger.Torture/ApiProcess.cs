using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ledger.Torture;

/// <summary>
/// The API as a child process, configured as production would be: its own port, the harness's
/// PostgreSQL, BitGo's public key and one operator API key. Kill is kill -9; Start runs the
/// same build again on the same port and waits until it is ready.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    public const string OperatorApiKey = "torture-operator-key-0123456789";

    /// <summary>A cold start on a loaded 2-core machine takes seconds; this is the bound.</summary>
    public const int StartSecondsMax = 90;

    private const int ReadyPollMilliseconds = 100;
    private const int ReadyAttemptSecondsMax = 10;
    private const int ExitWaitSecondsMax = 30;
    private const int LogTailLines = 40;

    private readonly string _dllPath;
    private readonly string _connectionString;
    private readonly string _bitGoPublicKeyPem;
    private readonly string _workDirectory;
    private readonly string _logPath;
    private readonly HttpClient _probe;
    private readonly Lock _logGate = new();
    private Process? _process;

    public ApiProcess(
        string dllPath,
        string connectionString,
        string bitGoPublicKeyPem,
        string workDirectory
    )
    {
        _dllPath = dllPath;
        _connectionString = connectionString;
        _bitGoPublicKeyPem = bitGoPublicKeyPem;
        _workDirectory = workDirectory;
        _logPath = Path.Combine(workDirectory, "api.log");
        Port = FreeLoopbackPort();
        BaseAddress = new Uri($"http://127.0.0.1:{Port}");
        _probe = new HttpClient { BaseAddress = BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    public int Port { get; }

    public Uri BaseAddress { get; }

    public string LogPath => _logPath;

    public int Starts { get; private set; }

    /// <summary>Starts the API and returns once /health/ready answers 200.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_process is { HasExited: false })
        {
            throw new InvalidOperationException("the API is already running");
        }
        _process?.Dispose();
        _process =
            Process.Start(StartInfo(_dllPath))
            ?? throw new InvalidOperationException("dotnet did not start");
        Starts++;
        _process.OutputDataReceived += (_, line) => AppendLog(line.Data);
        _process.ErrorDataReceived += (_, line) => AppendLog(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var elapsed = Stopwatch.StartNew();
        while (!await IsReadyAsync(cancellationToken))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"the API exited with code {_process.ExitCode} during startup:\n{LogTail()}"
                );
            }
            if (elapsed.Elapsed > TimeSpan.FromSeconds(StartSecondsMax))
            {
                throw new TimeoutException(
                    $"the API was not ready within {StartSecondsMax} s:\n{LogTail()}"
                );
            }
            await Task.Delay(ReadyPollMilliseconds, cancellationToken);
        }
    }

    /// <summary>kill -9: Process.Kill is SIGKILL on Linux. No shutdown hook runs.</summary>
    public async Task KillAsync()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }
        _process.Kill(entireProcessTree: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(ExitWaitSecondsMax));
        await _process.WaitForExitAsync(timeout.Token);
        AppendLog("--- torture: kill -9 ---");
    }

    /// <summary>One readiness probe: true on 200, false on any other answer or none.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        return await ReadyStatusAsync(cancellationToken) == HttpStatusCode.OK;
    }

    /// <summary>The readiness answer's status, or null when nothing answered in time.</summary>
    public async Task<HttpStatusCode?> ReadyStatusAsync(
        CancellationToken cancellationToken,
        int attemptSecondsMax = ReadyAttemptSecondsMax
    )
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(TimeSpan.FromSeconds(attemptSecondsMax));
        try
        {
            using HttpResponseMessage response = await _probe.GetAsync(
                "/health/ready",
                attempt.Token
            );
            return response.StatusCode;
        }
        catch (Exception e)
            when (e is HttpRequestException or IOException
                || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            )
        {
            return null;
        }
    }

    /// <summary>Runs an API command (audit verify) with the service's settings.</summary>
    public async Task<(int ExitCode, string Output)> RunCommandAsync(
        IReadOnlyList<string> arguments,
        int timeoutSeconds,
        CancellationToken cancellationToken
    )
    {
        ProcessStartInfo start = StartInfo(_dllPath);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using Process process =
            Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        Task<string> output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        Task<string> error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException(
                $"{string.Join(' ', arguments)} took over {timeoutSeconds} s"
            );
        }
        return (process.ExitCode, (await output + await error).Trim());
    }

    public string LogTail()
    {
        lock (_logGate)
        {
            return File.Exists(_logPath)
                ? string.Join('\n', File.ReadLines(_logPath).TakeLast(LogTailLines))
                : "(no log)";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        _probe.Dispose();
    }

    private ProcessStartInfo StartInfo(string dllPath)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            // The API writes nothing to its working directory in Production; a scratch
            // directory keeps it that way if that ever changes.
            WorkingDirectory = _workDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dllPath);
        start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString().TrimEnd('/');
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ConnectionStrings__Ledger"] = _connectionString;
        start.Environment["BitGo__PublicKeys__0"] = _bitGoPublicKeyPem;
        start.Environment["Auth__ApiKeys__harness__Key"] = OperatorApiKey;
        start.Environment["Auth__ApiKeys__harness__Role"] = "operator";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        return start;
    }

    private void AppendLog(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_logGate)
        {
            File.AppendAllText(_logPath, line + "\n");
        }
    }

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
}
