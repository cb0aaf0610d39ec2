namespace Ledger.LocalPostgres;

/// <summary>Where and how to run a private PostgreSQL cluster.</summary>
public sealed record LocalPostgresOptions
{
    /// <summary>The cluster lives in RootDirectory/data, its log in RootDirectory/postgres.log.
    /// </summary>
    public required string RootDirectory { get; init; }

    /// <summary>When true, RootDirectory is deleted on StopAsync/DisposeAsync.</summary>
    public bool Throwaway { get; init; }

    /// <summary>
    /// When false, the server runs with fsync, synchronous_commit and full_page_writes off.
    /// That loses data on a crash, so it is for tests only.
    /// </summary>
    public bool Durable { get; init; } = true;

    public string DatabaseName { get; init; } = "ledger";

    /// <summary>Overrides binary discovery; tests use it to simulate missing binaries.</summary>
    public string? BinDirectory { get; init; }

    public int StartTimeoutSeconds { get; init; } = 60;
}
