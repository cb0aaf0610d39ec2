namespace Ledger.BitGoAuth.Tests;

/// <summary>
/// A clock the test sets by hand. Microsoft.Extensions.TimeProvider.Testing does not restore
/// here, and the verifier only asks for the current UTC time.
/// </summary>
internal sealed class FakeTimeProvider(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow()
    {
        return Now;
    }

    public void Advance(TimeSpan by)
    {
        Now += by;
    }
}
