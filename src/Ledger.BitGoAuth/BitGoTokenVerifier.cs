using System.Diagnostics;
using System.Text.Json;

namespace Ledger.BitGoAuth;

/// <summary>
/// Verifies the RS256 JWT that BitGo sends in X-BitGo-Signature (contract: "Authentication of
/// BitGo's calls"). It is pure: no I/O and no storage. The caller must still refuse a jti it
/// has seen before, which needs the database; <see cref="VerifiedToken"/> gives it what it
/// needs. Bad input never throws; it returns the first rule that failed (see README.md).
/// </summary>
public sealed class BitGoTokenVerifier
{
    public const int TokenLengthCharactersMax = 4096;
    public const int TokenLifetimeSecondsMax = 60;
    public const int ClockSkewSeconds = 5;
    public const int JtiLengthCharactersMax = 128;

    private readonly BitGoKeyRing keys;
    private readonly TimeProvider time;

    public BitGoTokenVerifier(BitGoKeyRing keys, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(time);
        this.keys = keys;
        this.time = time;
    }

    /// <param name="token">The X-BitGo-Signature header value, or null when absent.</param>
    /// <param name="body">The raw request body bytes, exactly as received.</param>
    public TokenVerification Verify(string? token, ReadOnlySpan<byte> body)
    {
        // Rule 1: present and in compact form.
        if (string.IsNullOrEmpty(token))
        {
            return Refused(TokenFailure.Missing, "token is missing");
        }
        if (!CompactToken.TryParse(token, out CompactToken? compact, out string detail))
        {
            return Refused(TokenFailure.Malformed, detail);
        }
        // Rule 2: both halves are strict JSON objects, and the header is acceptable.
        if (!JoseJson.TryParseObject(compact.Header, out JsonDocument? header))
        {
            return Refused(TokenFailure.Malformed, "header must be a strict JSON object");
        }
        using (header)
        {
            Refusal? refusal = HeaderRules.Check(header.RootElement, out string? headerKeyId);
            if (refusal is not null)
            {
                return TokenVerification.Refused(refusal.Value);
            }
            if (!JoseJson.TryParseObject(compact.Payload, out JsonDocument? payload))
            {
                return Refused(TokenFailure.Malformed, "payload must be a strict JSON object");
            }
            using (payload)
            {
                return VerifySignatureAndClaims(compact, headerKeyId, payload.RootElement, body);
            }
        }
    }

    private TokenVerification VerifySignatureAndClaims(
        CompactToken compact,
        string? headerKeyId,
        JsonElement payload,
        ReadOnlySpan<byte> body
    )
    {
        // Rule 3: nothing in the payload is believed before the signature holds.
        Refusal? refusal = keys.Verify(compact, headerKeyId, out string verifiedKeyId);
        if (refusal is not null)
        {
            return TokenVerification.Refused(refusal.Value);
        }
        // Rules 4 and 5: read the clock once, so every comparison sees the same instant.
        decimal nowSeconds = ClaimRules.ToNumericDate(time.GetUtcNow());
        refusal = ClaimRules.CheckTimes(payload, nowSeconds, out decimal exp);
        if (refusal is not null)
        {
            return TokenVerification.Refused(refusal.Value);
        }
        // Rule 6.
        refusal = ClaimRules.CheckJti(payload, out string jti);
        if (refusal is not null)
        {
            return TokenVerification.Refused(refusal.Value);
        }
        // Rule 7.
        refusal = BodyHashRule.Check(payload, body);
        if (refusal is not null)
        {
            return TokenVerification.Refused(refusal.Value);
        }
        if (verifiedKeyId.Length == 0 || jti.Length == 0)
        {
            throw new UnreachableException("A verified token must have a key id and a jti.");
        }
        var verified = new VerifiedToken(jti, ClaimRules.ToDateTimeOffset(exp), verifiedKeyId);
        return TokenVerification.Valid(verified);
    }

    private static TokenVerification Refused(TokenFailure failure, string detail)
    {
        return TokenVerification.Refused(new Refusal(failure, detail));
    }
}
