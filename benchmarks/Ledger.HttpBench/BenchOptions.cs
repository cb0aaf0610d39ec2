namespace Ledger.HttpBench;

/// <summary>What one benchmark run does. Every limit has a name, with its unit last.</summary>
public sealed record BenchOptions(
    int Clients,
    int Seconds,
    int[] Scenarios,
    string? ConnectionString,
    bool RunBefore,
    bool WriteDocs,
    string CommandLine,
    string? TraceTool = null
)
{
    public const int ClientsDefault = 32;
    public const int ClientsMax = 512;
    public const int SecondsDefault = 10;

    // BitGo's tokens live 60 s and are signed before the clock starts, so a scenario, with its
    // signing, must end well inside that.
    public const int SecondsMax = 20;

    /// <summary>Client balances the reserve-only scenario spreads over (issue 8).</summary>
    public const int AccountCount = 1_000;

    /// <summary>Balances the hot-account scenario reserves against.</summary>
    public const int HotAccountCount = 10;

    /// <summary>Each balance is funded with this; no reservation of the run may find it short.</summary>
    public const long FundingQuantity = 1_000_000_000_000;

    /// <summary>Reservations take 1..this, so funds never run out within a run.</summary>
    public const int ReserveQuantityMax = 100;

    /// <summary>
    /// Scenario 1 with group commit runs this many times, each between two anchor runs, and the
    /// ratio is the median of these pairs: the machine's speed drifts by a fifth within minutes,
    /// so an anchor measured minutes away from the ledger's run says little about it.
    /// </summary>
    public const int RatioRounds = 3;

    public static readonly int[] AllScenarios = [1, 2, 3, 4, 5];

    public void Validate()
    {
        if (Clients is < 1 or > ClientsMax)
        {
            throw new ArgumentOutOfRangeException(
                nameof(Clients),
                $"--clients must be 1-{ClientsMax}"
            );
        }
        if (Seconds is < 1 or > SecondsMax)
        {
            throw new ArgumentOutOfRangeException(
                nameof(Seconds),
                $"--seconds must be 1-{SecondsMax}"
            );
        }
        if (Scenarios.Any(s => !AllScenarios.Contains(s)))
        {
            throw new ArgumentOutOfRangeException(nameof(Scenarios), "--scenario takes 1-5");
        }
    }
}
