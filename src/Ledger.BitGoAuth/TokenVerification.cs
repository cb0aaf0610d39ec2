namespace Ledger.BitGoAuth;

/// <summary>
/// The check that refused a token. The numbering follows the rules in README.md: the first
/// rule that fails is the one reported.
/// </summary>
public enum TokenFailure
{
    Missing,
    Malformed,
    AlgorithmNotAllowed,
    UnknownKeyId,
    BadSignature,
    MissingExpiry,
    Expired,
    NotYetValid,
    IssuedInFuture,
    LifetimeTooLong,
    MissingJti,
    BodyHashMismatch,
}

/// <summary>
/// What a verified token tells the caller. The caller still has to reject a <see cref="Jti"/>
/// it has seen before, and may forget it after <see cref="ExpiresAt"/> plus
/// <see cref="BitGoTokenVerifier.ClockSkewSeconds"/>, because the verifier refuses the token
/// from then on anyway.
/// </summary>
/// <param name="KeyId">The token's kid header if it had one, else the RFC 7638 thumbprint of
/// the configured key whose signature matched.</param>
public sealed record VerifiedToken(string Jti, DateTimeOffset ExpiresAt, string KeyId);

/// <summary>
/// Either a verified token or the failed check. <see cref="Detail"/> is fixed text written in
/// this library; it never holds any part of the token, so it is safe to log and to return.
/// </summary>
public readonly record struct TokenVerification(
    VerifiedToken? Token,
    TokenFailure? Failure,
    string? Detail
)
{
    public bool IsValid => Token is not null;

    internal static TokenVerification Valid(VerifiedToken token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return new TokenVerification(token, null, null);
    }

    internal static TokenVerification Refused(Refusal refusal)
    {
        return new TokenVerification(null, refusal.Failure, refusal.Detail);
    }
}

/// <summary>A failed check inside the library, before it becomes a TokenVerification.</summary>
internal readonly record struct Refusal(TokenFailure Failure, string Detail);
