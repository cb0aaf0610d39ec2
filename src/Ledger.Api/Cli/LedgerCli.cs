using System.CommandLine;
using System.Text;
using Ledger.Api.Audit;
using Ledger.Api.Hosting;
using Ledger.Api.Security;
using Ledger.BitGoAuth;

namespace Ledger.Api.Cli;

/// <summary>
/// The host's command line, after Marten's command-line tools: `dotnet run --project
/// src/Ledger.Api -- &lt;command&gt;`. Commands read the same configuration as the service.
/// Anything that is not a command starts the service.
/// </summary>
public static class LedgerCli
{
    private static readonly string[] Commands =
    [
        "dev-token",
        "db",
        "audit",
        "projections",
        "export",
    ];

    public static bool Handles(string[] args) => args.Length > 0 && Commands.Contains(args[0]);

    public static Task<int> RunAsync(string[] args) => RunAsync(args, CliContext.Console);

    /// <summary>
    /// Runs a command. Exit codes (ExitCodes): 0 ok, 1 audit discrepancies, 2 an error,
    /// including arguments that do not parse.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, CliContext context)
    {
        var root = new RootCommand(
            "Ledger: an event-sourced ledger for BitGo's Go Network partner API"
        );
        root.Subcommands.Add(DevTokenCommand());
        root.Subcommands.Add(DatabaseCommand());
        root.Subcommands.Add(AuditCommands.Audit(context));
        root.Subcommands.Add(AuditCommands.Projections(context));
        root.Subcommands.Add(AuditCommands.Export(context));
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await context.Error.WriteLineAsync($"error: {error.Message}");
            }
            return ExitCodes.Error;
        }
        return await parse.InvokeAsync(
            new InvocationConfiguration { Output = context.Output, Error = context.Error }
        );
    }

    /// <summary>
    /// Mints a token with the dev private key, so the README's curl lines can sign requests.
    /// </summary>
    private static Command DevTokenCommand()
    {
        var body = new Option<string?>("--body")
        {
            Description = "The exact request body to sign (JSON)",
        };
        var bodyFile = new Option<FileInfo?>("--body-file")
        {
            Description = "A file holding the exact request body",
        };
        var command = new Command(
            "dev-token",
            "Print an X-BitGo-Signature token for a body, signed with the dev key in "
                + ".ledger/dev-keys/"
        )
        {
            body,
            bodyFile,
        };
        command.SetAction(parse =>
        {
            byte[] bytes = parse.GetValue(bodyFile) is { } file
                ? File.ReadAllBytes(file.FullName)
                : Encoding.UTF8.GetBytes(parse.GetValue(body) ?? "");
            (string privatePath, _) = DevKeys.Ensure(BitGoKeys.DevKeysPath());
            using var minter = BitGoTokenMinter.FromPem(
                File.ReadAllText(privatePath),
                TimeProvider.System
            );
            Console.WriteLine(minter.Mint(bytes));
            return 0;
        });
        return command;
    }

    private static Command DatabaseCommand()
    {
        var apply = new Command("apply", "Apply the schema to the configured database and exit");
        apply.SetAction(
            async (_, cancellationToken) =>
            {
                WebApplicationBuilder builder = WebApplication.CreateBuilder();
                await using WebApplication app = builder.Build();
                await using var database = new LedgerDatabase(
                    app.Configuration,
                    app.Services.GetRequiredService<ILogger<LedgerDatabase>>()
                );
                await database.StartAsync(cancellationToken);
                Console.WriteLine("schema applied");
                return 0;
            }
        );
        return new Command("db", "Database commands") { apply };
    }
}
