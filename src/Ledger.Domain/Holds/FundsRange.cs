namespace Ledger.Domain.Holds;

/// <summary>
/// The funds available for which an open's decision stands: at least <see cref="AtLeast"/> and,
/// when <see cref="Below"/> is set, less than it. A group that decided on funds it had not yet
/// read checks this range under the balance row's lock before it commits (ADR 0010).
/// </summary>
public sealed record FundsRange(Quantity AtLeast, Quantity? Below)
{
    public static FundsRange Any { get; } = new(Quantity.Zero, null);

    public bool Contains(Quantity available) =>
        available >= AtLeast && (Below is not { } below || available < below);

    /// <summary>The range as seen before <paramref name="spent"/> was taken from the funds.</summary>
    public FundsRange Before(Quantity spent) =>
        new(AtLeast + spent, Below is { } below ? below + spent : null);

    /// <summary>The funds for which both ranges' decisions stand.</summary>
    public FundsRange And(FundsRange other) =>
        new(
            AtLeast >= other.AtLeast ? AtLeast : other.AtLeast,
            (Below, other.Below) switch
            {
                (null, var b) => b,
                (var a, null) => a,
                ({ } a, { } b) => a < b ? a : b,
            }
        );
}
