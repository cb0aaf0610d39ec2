using System.Globalization;
using System.Text;

namespace Ledger.Benchmarks;

/// <summary>
/// The runs as markdown. It replaces only the text between its own markers in
/// docs/benchmarks.md, so the section's prose and the file's other sections stay as written.
/// </summary>
public sealed class BenchReport(BenchOptions options, string setup, IReadOnlyList<RunResult> runs)
{
    public const string StartMarker = "<!-- auditbench:latest:start -->";
    public const string EndMarker = "<!-- auditbench:latest:end -->";
    public const string SectionHeading = "## Audit verify and rebuild";

    public bool AllClean => runs.All(r => r.Verify.Clean);

    /// <summary>docs/benchmarks.md of the repository this runs in (found by Ledger.sln).</summary>
    public static string DocsPath()
    {
        var directory = new DirectoryInfo(Directory.GetCurrentDirectory());
        while (
            directory is not null && !File.Exists(Path.Combine(directory.FullName, "Ledger.sln"))
        )
        {
            directory = directory.Parent;
        }
        return Path.Combine(
            directory?.FullName ?? Directory.GetCurrentDirectory(),
            "docs",
            "benchmarks.md"
        );
    }

    public string WriteTo(string path)
    {
        string block = StartMarker + "\n" + ToMarkdown() + EndMarker;
        string existing = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n";
        int start = existing.IndexOf(StartMarker, StringComparison.Ordinal);
        int end = existing.IndexOf(EndMarker, StringComparison.Ordinal);
        string updated =
            start >= 0 && end > start
                ? existing[..start] + block + existing[(end + EndMarker.Length)..]
                : existing.TrimEnd() + "\n\n" + SectionHeading + "\n\n" + block + "\n";
        File.WriteAllText(path, updated);
        return path;
    }

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        string now = DateTime.UtcNow.ToString(
            "yyyy-MM-dd HH:mm 'UTC'",
            CultureInfo.InvariantCulture
        );
        text.AppendLine($"### Latest run: {now}");
        text.AppendLine();
        text.AppendLine($"- Command: `{options.CommandLine}`");
        text.AppendLine($"- {Capitalised(setup)}");
        text.AppendLine($"- Load average (1, 5, 15 min) after the runs: {Setup.LoadAverage()}");
        text.AppendLine();
        text.AppendLine(
            "| run | load before | raw COPY rows/s | verify events/s | ratio | "
                + "verify CPU µs/event (us + PostgreSQL) | CPU ceiling events/s | rebuild events/s | "
                + "views locked s |"
        );
        text.AppendLine("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (RunResult r in runs)
        {
            text.AppendLine(
                $"| {r.Run} | {r.LoadBefore} | {r.RawCopyRowsPerSecond:N0} | "
                    + $"{r.Verify.EventsPerSecond:N0} | "
                    + $"{r.Verify.EventsPerSecond / r.RawCopyRowsPerSecond:N2} | "
                    + $"{r.VerifyCpu.Client:N1} + {r.VerifyCpu.Postgres:N1} | "
                    + $"{r.VerifyCpu.CeilingPerSecond:N0} | {r.Rebuild?.EventsPerSecond:N0} | "
                    + $"{r.Rebuild?.LockedElapsed.TotalSeconds:N2} |"
            );
        }
        text.AppendLine();
        text.AppendLine("Verify phases per run (each timed on its own thread, so they overlap):");
        text.AppendLine();
        foreach (RunResult r in runs)
        {
            text.AppendLine($"- run {r.Run}: {r.Verify.Phases}");
        }
        text.AppendLine();
        return text.ToString();
    }

    private static string Capitalised(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];
}
