using System.Globalization;
using System.Security.Cryptography;

namespace Ledger.LocalPostgres;

/// <summary>The files of one cluster directory: data, log, password and postmaster.pid.</summary>
internal sealed class ClusterLayout
{
    private const int PasswordBytes = 32;
    private const int PasswordHexLength = PasswordBytes * 2;
    private const int PidFilePidLineIndex = 0;
    private const int PidFilePortLineIndex = 3;
    private const int LogTailLinesMax = 20;
    private const int LogTailBytesMax = 16 * 1024;
    private const UnixFileMode OwnerOnlyDirectory =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const string UnixOnlyMessage = "Ledger.LocalPostgres runs PostgreSQL on Linux only.";

    // pg_ctl pastes the data and log paths into a shell command inside double quotes, so these
    // characters would let a path break out of the quotes.
    private static readonly char[] ShellUnsafeCharacters = ['"', '$', '`', '\\', '\n', '\r'];

    public ClusterLayout(string rootDirectory)
    {
        RootDirectory = Path.GetFullPath(rootDirectory);
        if (RootDirectory.IndexOfAny(ShellUnsafeCharacters) >= 0)
        {
            throw new ArgumentException(
                $"RootDirectory must not contain any of {string.Join(' ', ShellUnsafeCharacters)}",
                nameof(rootDirectory)
            );
        }
        if (Path.GetDirectoryName(RootDirectory) is null)
        {
            throw new ArgumentException(
                "RootDirectory must not be the file system root.",
                nameof(rootDirectory)
            );
        }
    }

    public string RootDirectory { get; }

    public string DataDirectory => Path.Combine(RootDirectory, "data");

    public string LogFile => Path.Combine(RootDirectory, "postgres.log");

    public string PasswordFile => Path.Combine(RootDirectory, "password");

    public string PidFile => Path.Combine(DataDirectory, "postmaster.pid");

    /// <summary>Every data directory that initdb finished holds PG_VERSION.</summary>
    public bool IsInitialized => File.Exists(Path.Combine(DataDirectory, "PG_VERSION"));

    /// <summary>
    /// Creates the root directory for its owner only. Parents get the default mode so that an
    /// unprivileged run-as user can still traverse them.
    /// </summary>
    public void CreateRootDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(UnixOnlyMessage);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(RootDirectory)!);
        Directory.CreateDirectory(RootDirectory, OwnerOnlyDirectory);
    }

    /// <summary>Directories above the root that others, postgres included, cannot enter.</summary>
    public IEnumerable<string> AncestorsClosedToOthers()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(UnixOnlyMessage);
        }
        for (
            var directory = Path.GetDirectoryName(RootDirectory);
            directory is not null;
            directory = Path.GetDirectoryName(directory)
        )
        {
            if (!File.GetUnixFileMode(directory).HasFlag(UnixFileMode.OtherExecute))
            {
                yield return directory;
            }
        }
    }

    /// <summary>
    /// The superuser password is generated once, before initdb, and kept beside the data so that
    /// a later start can connect. It is readable by its owner only.
    /// </summary>
    public string ReadOrCreatePassword()
    {
        if (File.Exists(PasswordFile))
        {
            return ReadPassword();
        }
        if (IsInitialized)
        {
            throw new LocalPostgresUnavailableException(
                $"{DataDirectory} holds a cluster but {PasswordFile} is missing, so nobody can "
                    + $"log in. Delete {RootDirectory} to start a fresh cluster."
            );
        }
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException(UnixOnlyMessage);
        }
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(PasswordBytes));
        // Created with mode 0600 from the start, so the password is never readable by others.
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnlyFile,
        };
        using var writer = new StreamWriter(PasswordFile, options);
        writer.Write(password);
        return password;
    }

    /// <summary>Line 4 of postmaster.pid is the port the running server listens on.</summary>
    public int ReadPortFromPidFile()
    {
        var line = File.ReadLines(PidFile).ElementAtOrDefault(PidFilePortLineIndex);
        if (
            !int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535
        )
        {
            throw new LocalPostgresUnavailableException(
                $"{PidFile} line {PidFilePortLineIndex + 1} is not a port: '{line}'."
            );
        }
        return port;
    }

    /// <summary>Line 1 of postmaster.pid is the postmaster's pid; null without a file.</summary>
    public int? TryReadPostmasterPid()
    {
        string? line;
        try
        {
            line = File.ReadLines(PidFile).ElementAtOrDefault(PidFilePidLineIndex);
        }
        catch (Exception exception)
            when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        var parsed = int.TryParse(
            line,
            NumberStyles.None,
            CultureInfo.InvariantCulture,
            out var pid
        );
        return parsed && pid > 0 ? pid : null;
    }

    public long LogLengthBytes() => File.Exists(LogFile) ? new FileInfo(LogFile).Length : 0;

    public string LogSince(long offsetBytes) => ReadLog(offsetBytes);

    public string LogTail()
    {
        var start = Math.Max(0, LogLengthBytes() - LogTailBytesMax);
        var lines = ReadLog(start).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', lines.TakeLast(LogTailLinesMax));
    }

    private string ReadPassword()
    {
        var password = File.ReadAllText(PasswordFile).Trim();
        if (password.Length != PasswordHexLength || !password.All(char.IsAsciiHexDigitLower))
        {
            throw new LocalPostgresUnavailableException(
                $"{PasswordFile} does not hold a {PasswordHexLength}-character hex password."
            );
        }
        return password;
    }

    private string ReadLog(long offsetBytes)
    {
        if (!File.Exists(LogFile))
        {
            return "(no log file)";
        }
        // The server keeps appending while we read, so share the file for writing.
        using var stream = new FileStream(
            LogFile,
            FileMode.Open,
            FileAccess.Read,
            FileShare.ReadWrite | FileShare.Delete
        );
        stream.Seek(Math.Min(offsetBytes, stream.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
