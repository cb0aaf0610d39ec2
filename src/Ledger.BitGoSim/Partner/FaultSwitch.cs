using Ledger.BitGoSim.Hosting;

namespace Ledger.BitGoSim.Partner;

/// <summary>
/// The faults in force now. Configuration sets the first value; a test or the demo replaces
/// it between calls. The drop count is consumed one answer at a time, under a lock, so two
/// concurrent calls never both take the last drop.
/// </summary>
public sealed class FaultSwitch
{
    private readonly Lock gate = new();
    private SimFaults current;
    private int dropsLeft;

    public FaultSwitch(SimFaults initial)
    {
        initial.Validate();
        current = initial;
        dropsLeft = initial.DropResponses;
    }

    public SimFaults Current
    {
        get
        {
            lock (gate)
            {
                return current with { DropResponses = dropsLeft };
            }
        }
    }

    public void Set(SimFaults faults)
    {
        faults.Validate();
        lock (gate)
        {
            current = faults;
            dropsLeft = faults.DropResponses;
        }
    }

    /// <summary>
    /// True when this answer must be thrown away (and one fewer is left to drop).
    /// </summary>
    public bool TryTakeDrop()
    {
        lock (gate)
        {
            if (dropsLeft == 0)
            {
                return false;
            }
            dropsLeft--;
            return true;
        }
    }
}

/// <summary>
/// The partner's base URL. It can be moved while running, so that a rehearsal can make the
/// partner unreachable and then reachable again without losing the simulator's memory.
/// </summary>
public sealed class PartnerTarget(Uri initial)
{
    private Uri baseUrl = initial;

    public Uri BaseUrl
    {
        get => Volatile.Read(ref baseUrl);
        set => Volatile.Write(ref baseUrl, value ?? throw new ArgumentNullException(nameof(value)));
    }
}
