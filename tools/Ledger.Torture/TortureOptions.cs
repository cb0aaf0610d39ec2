using System.Reflection;

namespace Ledger.Torture;

public enum TortureMode
{
    /// <summary>About two minutes, a fixed set of faults: the CI run.</summary>
    Short,

    /// <summary>Faults at random intervals for as long as asked: the soak run.</summary>
    Long,
}

/// <summary>What one run does. A seed fixes each worker's choices and the faults.</summary>
public sealed record TortureOptions
{
    public const int ShortDurationSecondsDefault = 70;
    public const int LongDurationSecondsDefault = 1_800;
    public const int DurationSecondsMax = 86_400;
    public const int WorkersMax = 64;
    public const int ConnectionsMax = 256;

    /// <summary>Connections every worker uses; each of the others belongs to one worker.</summary>
    public const int SharedConnections = 2;

    public required int Seed { get; init; }

    public required TortureMode Mode { get; init; }

    /// <summary>How long the workload runs; setup, drain and the end checks come on top.</summary>
    public required int DurationSeconds { get; init; }

    public int Workers { get; init; } = 8;

    /// <summary>Client connections activated at start, shared out among the workers.</summary>
    public int Connections { get; init; } = 20;

    /// <summary>
    /// False runs PostgreSQL with fsync and synchronous_commit off: a canary for the harness
    /// itself, which must then find acknowledged writes missing after an immediate stop.
    /// </summary>
    public bool Durable { get; init; } = true;

    /// <summary>The API's build output; null finds the one built beside this harness.</summary>
    public string? ApiDllPath { get; init; }

    /// <summary>Progress lines; the figures are returned as well as printed here.</summary>
    public TextWriter Log { get; init; } = Console.Out;

    public static TortureOptions For(TortureMode mode, int seed, int? durationSeconds = null) =>
        new()
        {
            Seed = seed,
            Mode = mode,
            DurationSeconds =
                durationSeconds
                ?? (
                    mode == TortureMode.Short
                        ? ShortDurationSecondsDefault
                        : LongDurationSecondsDefault
                ),
        };

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(DurationSeconds, 10);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DurationSeconds, DurationSecondsMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(Workers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Workers, WorkersMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(Connections, Workers + SharedConnections);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Connections, ConnectionsMax);
    }

    /// <summary>The API dll: the option, or the path baked in at build time (csproj).</summary>
    public string ResolveApiDll()
    {
        string? path =
            ApiDllPath
            ?? typeof(TortureOptions)
                .Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "LedgerApiDll")
                ?.Value;
        if (path is null || !File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Ledger.Api.dll not found at '{path}': build src/Ledger.Api or pass --api-dll."
            );
        }
        return path;
    }
}
