using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Ledger.HttpBench;

/// <summary>
/// The ledger as a separate process, built in Release and run in Production with the
/// benchmark's BitGo key and a reader API key, as an operator would run it. Its output goes to a
/// log file, so a full pipe never slows it down.
/// </summary>
public sealed class ApiHost : IAsyncDisposable
{
    public const string ReaderApiKey = "httpbench-reader-key-0123456789abcdef";

    private const int ReadySecondsMax = 90;
    private const int ReadyPollMilliseconds = 200;

    private readonly Process _process;
    private readonly StreamWriter _log;

    private ApiHost(Process process, StreamWriter log, Uri address, string logPath)
    {
        _process = process;
        _log = log;
        Address = address;
        LogPath = logPath;
    }

    public Uri Address { get; }

    public int ProcessId => _process.Id;

    public string LogPath { get; }

    /// <summary>The repository root: the directory above us that holds Ledger.sln.</summary>
    public static string RepositoryRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "Ledger.sln")))
            {
                return d.FullName;
            }
        }
        throw new InvalidOperationException(
            "Ledger.sln not found above " + AppContext.BaseDirectory
        );
    }

    public static string ApiDll(string root) =>
        Path.Combine(root, "src", "Ledger.Api", "bin", "Release", "net10.0", "Ledger.Api.dll");

    /// <summary>dotnet build -c Release src/Ledger.Api: incremental, so quick when up to date.</summary>
    public static async Task BuildAsync(string root, CancellationToken cancellationToken)
    {
        await ChildProcess.RunAsync(
            "dotnet",
            [
                "build",
                "-c",
                "Release",
                "--nologo",
                "-v",
                "q",
                Path.Combine(root, "src", "Ledger.Api"),
            ],
            environment: null,
            cancellationToken
        );
    }

    public static async Task<ApiHost> StartAsync(
        string root,
        string connectionString,
        string bitGoPublicKeyPem,
        bool groupCommit,
        CancellationToken cancellationToken
    )
    {
        int port = FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        string logPath = Path.Combine(Path.GetTempPath(), $"ledger-httpbench-api-{port}.log");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { ApiDll(root) },
            // The content root: appsettings.json there sets the log levels an operator gets.
            WorkingDirectory = Path.GetDirectoryName(ApiDll(root))!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_URLS"] = address.ToString();
        start.Environment["ConnectionStrings__Ledger"] = connectionString;
        start.Environment["BitGo__PublicKeys__0"] = bitGoPublicKeyPem;
        start.Environment["Auth__ApiKeys__bench__Key"] = ReaderApiKey;
        start.Environment["Auth__ApiKeys__bench__Role"] = "reader";
        start.Environment["Ledger__GroupCommit"] = groupCommit ? "true" : "false";
        Process process =
            Process.Start(start) ?? throw new InvalidOperationException("the API did not start");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var host = new ApiHost(process, log, address, logPath);
        try
        {
            await host.WaitUntilReadyAsync(cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient
        {
            BaseAddress = Address,
            Timeout = TimeSpan.FromSeconds(5),
        };
        var deadline = DateTime.UtcNow.AddSeconds(ReadySecondsMax);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException(
                    $"the API exited ({_process.ExitCode}); see {LogPath}"
                );
            }
            try
            {
                using HttpResponseMessage response = await http.GetAsync(
                    "/health/ready",
                    cancellationToken
                );
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(ReadyPollMilliseconds, cancellationToken);
        }
        throw new TimeoutException(
            $"the API was not ready within {ReadySecondsMax} s; see {LogPath}"
        );
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is not null)
        {
            lock (log)
            {
                log.WriteLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Runs a command to completion; a non-zero exit is an error naming its output.</summary>
public static class ChildProcess
{
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string file,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment,
        CancellationToken cancellationToken,
        bool throwOnFailure = true
    )
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using Process process =
            Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        string text = (await output) + (await error);
        if (throwOnFailure && process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', arguments)} failed " + $"({process.ExitCode}):\n{text}"
            );
        }
        return (process.ExitCode, text);
    }
}
