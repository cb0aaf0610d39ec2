namespace Ledger.Domain;

/// <summary>
/// A broken invariant: a bug or corrupted data, never an expected business outcome. Expected
/// refusals (insufficient funds, say) are events; this crashes the operation instead
/// (shared/style.md, habit 5).
/// </summary>
public sealed class InvariantViolationException(string message) : Exception(message);
