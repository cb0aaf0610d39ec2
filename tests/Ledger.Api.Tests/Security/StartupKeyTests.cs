using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Ledger.Api.Tests.Support;
using Ledger.BitGoAuth;
using Ledger.Testing;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// Issue 4, startup: a ledger that trusts no BitGo key must not serve BitGo's calls, so outside
/// Development a missing key stops the host; in Development the host makes a dev key pair
/// under .ledger/dev-keys/ in its working directory instead.
/// </summary>
public sealed partial class StartupKeyTests
{
    // The host fails before any hosted service starts, so the database is never reached. It
    // must still be named: without one the host would start its own PostgreSQL under the
    // working directory.
    private const string UnreachableDatabase = "Host=127.0.0.1;Port=1;Database=none;Timeout=1";

    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Host_outside_Development_without_a_BitGo_key_fails_naming_the_setting(
        string environment
    )
    {
        await using WebApplicationFactory<Program> factory = LedgerHosts.Create(
            UnreachableDatabase,
            environment,
            LedgerHosts.WithBitGoKeys()
        );

        Exception failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("BitGo:PublicKeyPemPaths", Messages(failure), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_with_a_malformed_api_key_fails_at_startup_naming_the_setting()
    {
        await using WebApplicationFactory<Program> factory = LedgerHosts.Create(
            UnreachableDatabase,
            "Production",
            [
                .. TestCredentials.Settings(),
                new("Auth:ApiKeys:short:Key", "too-short"),
                new("Auth:ApiKeys:short:Role", "operator"),
            ]
        );

        Exception failure = Assert.ThrowsAny<Exception>(() => factory.CreateClient());

        Assert.Contains("Auth:ApiKeys:short:Key", Messages(failure), StringComparison.Ordinal);
    }

    /// <summary>
    /// The dev key directory is relative to the current directory, which is one per process:
    /// changing it here would move it under every test running in parallel, and this test must
    /// not litter the repository either. So the real host runs as a child process (the built
    /// Ledger.Api.dll, as `dotnet run` would start it) with a fresh temporary directory as its
    /// working directory and no key configured, and the test checks what it wrote there and
    /// that a token signed with the written private key is accepted.
    /// </summary>
    [Fact]
    public async Task Development_host_without_keys_starts_and_writes_dev_keys_in_its_cwd()
    {
        DirectoryInfo workingDirectory = Directory.CreateTempSubdirectory("ledger-dev-keys-");
        try
        {
            string connectionString = await TestPostgres.CreateDatabaseAsync();
            await using ChildHost host = await ChildHost.StartAsync(
                workingDirectory.FullName,
                connectionString
            );
            string devKeys = Path.Combine(workingDirectory.FullName, ".ledger", "dev-keys");
            using var http = new HttpClient { BaseAddress = host.Address };

            using HttpResponseMessage live = await http.GetAsync("/health/live");

            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            string privateKey = Path.Combine(devKeys, DevKeys.PrivateKeyFileName);
            Assert.True(File.Exists(Path.Combine(devKeys, DevKeys.PublicKeyFileName)), host.Output);
            Assert.True(File.Exists(privateKey), host.Output);
            // The operator key too, before any query: the README's first query reads it.
            Assert.True(File.Exists(Path.Combine(devKeys, "api-key")), host.Output);
            using BitGoTokenMinter devMinter = BitGoTokenMinter.FromPem(
                await File.ReadAllTextAsync(privateKey),
                TimeProvider.System
            );
            using var request = new HttpRequestMessage(
                HttpMethod.Get,
                $"/bitgo/v1/allocation/{Guid.NewGuid()}"
            );
            request.Headers.Add(BitGoClient.SignatureHeader, devMinter.Mint([]));
            using HttpResponseMessage signed = await http.SendAsync(request);
            // 404: the dev token passed authentication and the (unknown) id was looked up.
            Assert.Equal(HttpStatusCode.NotFound, signed.StatusCode);
        }
        finally
        {
            workingDirectory.Delete(recursive: true);
        }
    }

    private static string Messages(Exception failure)
    {
        var text = new StringBuilder();
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            text.AppendLine(e.Message);
            if (e is AggregateException aggregate)
            {
                text.AppendJoin('\n', aggregate.InnerExceptions.Select(Messages));
            }
        }
        return text.ToString();
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningLine();

    /// <summary>The built host as a child process; disposing it kills that process only.</summary>
    private sealed class ChildHost : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private ChildHost(Process process)
        {
            _process = process;
        }

        public Uri Address { get; private set; } = new("http://127.0.0.1");

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static async Task<ChildHost> StartAsync(
            string workingDirectory,
            string connectionString
        )
        {
            var start = new ProcessStartInfo(DotnetHost())
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("exec");
            start.ArgumentList.Add(typeof(Program).Assembly.Location);
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add("http://127.0.0.1:0");
            // Nothing from this process's environment may configure a key for the child.
            foreach (string name in start.Environment.Keys.Where(IsLedgerSetting).ToList())
            {
                start.Environment.Remove(name);
            }
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
            start.Environment["ConnectionStrings__Ledger"] = connectionString;
            var host = new ChildHost(
                Process.Start(start) ?? throw new InvalidOperationException("no process")
            );
            bool started = false;
            try
            {
                await host.WaitUntilListeningAsync();
                started = true;
                return host;
            }
            finally
            {
                if (!started)
                {
                    // A host that never listened is stopped here; the caller never gets it.
                    await host.DisposeAsync();
                }
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
        }

        private static bool IsLedgerSetting(string name) =>
            name.StartsWith("BitGo__", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("Auth__", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("ConnectionStrings__", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("DOTNET_ENVIRONMENT", StringComparison.OrdinalIgnoreCase);

        /// <summary>The dotnet host running this test process, else the one on the PATH.</summary>
        private static string DotnetHost()
        {
            string? current = Environment.ProcessPath;
            return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet"
                ? current
                : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        }

        private async Task WaitUntilListeningAsync()
        {
            var listening = new TaskCompletionSource<Uri>(
                TaskCreationOptions.RunContinuationsAsynchronously
            );
            void Collect(object _, DataReceivedEventArgs line)
            {
                if (line.Data is null)
                {
                    return;
                }
                lock (_output)
                {
                    _output.AppendLine(line.Data);
                }
                if (ListeningLine().Match(line.Data) is { Success: true } match)
                {
                    listening.TrySetResult(new Uri(match.Groups[1].Value));
                }
            }
            _process.OutputDataReceived += Collect;
            _process.ErrorDataReceived += Collect;
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            Task exited = _process.WaitForExitAsync();
            Task first = await Task.WhenAny(listening.Task, exited, Task.Delay(StartupTimeout));
            Assert.True(first == listening.Task, $"the host did not start listening:\n{Output}");
            Address = await listening.Task;
        }
    }
}
