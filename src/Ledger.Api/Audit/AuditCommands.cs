using System.CommandLine;
using System.Globalization;
using Ledger.Api.Hosting;

namespace Ledger.Api.Audit;

/// <summary>Process exit codes of the command line.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>audit verify found at least one discrepancy.</summary>
    public const int Discrepancies = 1;

    /// <summary>The command could not run: bad arguments, no database, a broken log.</summary>
    public const int Error = 2;
}

/// <summary>
/// Where a command reads its settings and writes its output. The process uses the console;
/// tests pass their own settings and writers.
/// </summary>
public sealed record CliContext(
    IReadOnlyDictionary<string, string?> Settings,
    TextWriter Output,
    TextWriter Error,
    Func<Stream> OpenStandardOutput
)
{
    public static CliContext Console { get; } =
        new(
            new Dictionary<string, string?>(),
            System.Console.Out,
            System.Console.Error,
            System.Console.OpenStandardOutput
        );
}

/// <summary>
/// audit verify, audit checkpoint, projections rebuild and export: thin commands over
/// AuditVerifier, CheckpointWriter, ProjectionRebuilder and EventExporter.
/// </summary>
public static class AuditCommands
{
    /// <summary>Export writes through this buffer, so stdout sees few large writes.</summary>
    private const int OutputBufferBytes = 64 * 1024;

    public static Command Audit(CliContext context)
    {
        var verify = new Command(
            "verify",
            "Replay every event; check every hash, stream, view and checkpoint; "
                + "exit 1 on any discrepancy"
        );
        verify.SetAction(
            (_, cancellationToken) =>
                RunAsync(
                    context,
                    async (database, ct) =>
                    {
                        AuditResult result = await new AuditVerifier(
                            database.DataSource,
                            LedgerEvents.CreateRegistry(),
                            context.Output,
                            context.Error
                        ).VerifyAsync(ct);
                        return result.Clean ? ExitCodes.Ok : ExitCodes.Discrepancies;
                    },
                    cancellationToken
                )
        );
        var checkpoint = new Command("checkpoint", "Record a digest over every stream's head now");
        checkpoint.SetAction(
            (_, cancellationToken) =>
                RunAsync(
                    context,
                    async (database, ct) =>
                    {
                        StoredCheckpoint? written = await new CheckpointWriter(
                            database.DataSource
                        ).WriteAsync(onlyIfNew: false, ct);
                        context.Output.WriteLine(
                            written is null
                                ? "no checkpoint: the log is empty"
                                : $"checkpoint {written.Id} at seq {written.AtSeq}: "
                                    + $"{written.StreamCount:N0} streams, {written.EventCount:N0} events, "
                                    + $"digest {Convert.ToHexStringLower(written.Digest)}"
                        );
                        return ExitCodes.Ok;
                    },
                    cancellationToken
                )
        );
        return new Command("audit", "Tamper evidence: verify the log, write checkpoints")
        {
            verify,
            checkpoint,
        };
    }

    public static Command Projections(CliContext context)
    {
        var rebuild = new Command(
            "rebuild",
            "Rebuild every view from the events while the service runs; progress on stderr"
        );
        rebuild.SetAction(
            (_, cancellationToken) =>
                RunAsync(
                    context,
                    async (database, ct) =>
                    {
                        RebuildResult result = await new ProjectionRebuilder(
                            database.DataSource,
                            LedgerEvents.CreateRegistry(),
                            context.Error
                        ).RebuildAsync(ct);
                        context.Output.WriteLine(result.ToString());
                        return ExitCodes.Ok;
                    },
                    cancellationToken
                )
        );
        return new Command("projections", "The views built from the events") { rebuild };
    }

    public static Command Export(CliContext context)
    {
        var from = new Option<string>("--from")
        {
            Description = "First instant, RFC 3339 (inclusive)",
            Required = true,
        };
        var to = new Option<string>("--to")
        {
            Description = "Last instant, RFC 3339 (exclusive)",
            Required = true,
        };
        var client = new Option<Guid?>("--client") { Description = "Only this client's streams" };
        var format = new Option<string>("--format")
        {
            Description = "ndjson or csv",
            Required = true,
        };
        format.AcceptOnlyFromAmong("ndjson", "csv");
        var output = new Option<FileInfo?>("--output")
        {
            Description = "A file to write; stdout without it",
        };
        var export = new Command("export", "Stream events with their hashes, in seq order")
        {
            from,
            to,
            client,
            format,
            output,
        };
        export.SetAction(
            (parse, cancellationToken) =>
            {
                if (
                    !Rfc3339.TryParse(parse.GetValue(from), out DateTimeOffset fromInstant)
                    || !Rfc3339.TryParse(parse.GetValue(to), out DateTimeOffset toInstant)
                    || toInstant <= fromInstant
                )
                {
                    context.Error.WriteLine(
                        "error: --from and --to must be RFC 3339 instants with an offset, "
                            + "--from before --to"
                    );
                    return Task.FromResult(ExitCodes.Error);
                }
                var request = new ExportRequest(
                    fromInstant,
                    toInstant,
                    parse.GetValue(client),
                    parse.GetValue(format) == "csv" ? ExportFormat.Csv : ExportFormat.Ndjson
                );
                FileInfo? file = parse.GetValue(output);
                return RunAsync(
                    context,
                    (database, ct) => ExportAsync(context, database, request, file, ct),
                    cancellationToken
                );
            }
        );
        return export;
    }

    private static async Task<int> ExportAsync(
        CliContext context,
        CliDatabase database,
        ExportRequest request,
        FileInfo? file,
        CancellationToken cancellationToken
    )
    {
        await using Stream target = file is null
            ? context.OpenStandardOutput()
            : new FileStream(file.FullName, FileMode.Create, FileAccess.Write, FileShare.None);
        await using var buffered = new BufferedStream(target, OutputBufferBytes);
        long events = await new EventExporter(database.DataSource).ExportAsync(
            request,
            buffered,
            cancellationToken
        );
        context.Error.WriteLine($"export: {events:N0} events");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Opens the database as the service does and runs the command. Any failure is exit code
    /// 2 with its message on stderr: at the process boundary there is no one left to catch it.
    /// </summary>
    private static async Task<int> RunAsync(
        CliContext context,
        Func<CliDatabase, CancellationToken, Task<int>> command,
        CancellationToken cancellationToken
    )
    {
        try
        {
            WebApplicationBuilder builder = WebApplication.CreateBuilder();
            builder.Configuration.AddInMemoryCollection(context.Settings);
            // stdout carries the report or the export; logs go to stderr.
            builder.Logging.ClearProviders();
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            await using WebApplication app = builder.Build();
            await using CliDatabase database = await CliDatabase.OpenAsync(
                app.Configuration,
                app.Logger,
                cancellationToken
            );
            return await command(database, cancellationToken);
        }
        catch (Exception failure) when (failure is not OutOfMemoryException)
        {
            context.Error.WriteLine($"error: {failure.GetType().Name}: {failure.Message}");
            return ExitCodes.Error;
        }
    }
}

/// <summary>RFC 3339 instants: a date, a time and a mandatory offset ("Z" or "+hh:mm").</summary>
public static class Rfc3339
{
    private static readonly string[] Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd' 'HH:mm:ssK",
        "yyyy-MM-dd' 'HH:mm:ss.FFFFFFFK",
    ];

    public static bool TryParse(string? text, out DateTimeOffset instant)
    {
        instant = default;
        bool hasOffset =
            text is { Length: > 6 }
            && (text[^1] is 'Z' or 'z' || (text[^6] is '+' or '-' && text[^3] == ':'));
        return hasOffset
            && DateTimeOffset.TryParseExact(
                text!.Replace('z', 'Z'),
                Formats,
                CultureInfo.InvariantCulture,
                DateTimeStyles.None,
                out instant
            );
    }
}
