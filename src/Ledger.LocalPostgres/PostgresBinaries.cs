namespace Ledger.LocalPostgres;

/// <summary>The directory that holds initdb, pg_ctl and postgres, found once per start.</summary>
internal sealed record PostgresBinaries(string Directory)
{
    private const string InstalledVersionsDirectory = "/usr/lib/postgresql";
    private static readonly string[] RequiredTools = ["initdb", "pg_ctl", "postgres"];

    public string InitDb => Path.Combine(Directory, "initdb");

    public string PgCtl => Path.Combine(Directory, "pg_ctl");

    /// <summary>
    /// Uses the override when given, and nothing else, so that tests can simulate a machine
    /// without PostgreSQL. Otherwise tries the pg_ctl on PATH, then the newest Debian install.
    /// </summary>
    public static PostgresBinaries Discover(string? binDirectoryOverride)
    {
        string?[] candidates = binDirectoryOverride is not null
            ? [binDirectoryOverride]
            : [DirectoryOfPgCtlOnPath(), NewestInstalledBinDirectory()];
        var found = candidates.OfType<string>().FirstOrDefault(HasAllTools);
        if (found is null)
        {
            throw Missing(candidates.OfType<string>().ToArray());
        }
        return new PostgresBinaries(found);
    }

    private static bool HasAllTools(string directory) =>
        RequiredTools.All(tool => File.Exists(Path.Combine(directory, tool)));

    private static string? DirectoryOfPgCtlOnPath()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var entry in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var pgCtl = new FileInfo(Path.Combine(entry, "pg_ctl"));
            if (pgCtl.Exists)
            {
                // Debian links /usr/local/bin/pg_ctl to the versioned directory, and initdb and
                // postgres must come from that same version, so follow the link to its end.
                var target = pgCtl.ResolveLinkTarget(returnFinalTarget: true) ?? pgCtl;
                return Path.GetDirectoryName(target.FullName);
            }
        }
        return null;
    }

    private static string? NewestInstalledBinDirectory()
    {
        if (!System.IO.Directory.Exists(InstalledVersionsDirectory))
        {
            return null;
        }
        return System
            .IO.Directory.EnumerateDirectories(InstalledVersionsDirectory)
            .Select(directory => (Directory: directory, Version: ParseVersion(directory)))
            .Where(candidate => candidate.Version is not null)
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => Path.Combine(candidate.Directory, "bin"))
            .FirstOrDefault();
    }

    private static Version? ParseVersion(string directory)
    {
        var name = Path.GetFileName(directory);
        // Major versions since PostgreSQL 10 are plain integers ("15"); older ones are "9.6".
        var text = name.Contains('.', StringComparison.Ordinal) ? name : name + ".0";
        return Version.TryParse(text, out var version) ? version : null;
    }

    private static LocalPostgresUnavailableException Missing(string[] searchedDirectories)
    {
        var searched =
            searchedDirectories.Length == 0
                ? "nothing on PATH or in " + InstalledVersionsDirectory
                : string.Join(", ", searchedDirectories);
        return new LocalPostgresUnavailableException(
            $"PostgreSQL server binaries ({string.Join(", ", RequiredTools)}) were not found "
                + $"(searched: {searched}). Either install the server (`apt-get install postgresql`), "
                + "set `ConnectionStrings__Ledger` to an existing server, or run `docker compose up`."
        );
    }
}
