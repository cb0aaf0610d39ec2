using System.Text.Json;

namespace Ledger.BitGoAuth;

/// <summary>
/// Rule 2 for the JOSE header. Everything here is decided before any key is touched, so an
/// attacker cannot steer which algorithm or which key the signature check uses.
/// </summary>
internal static class HeaderRules
{
    public const string AlgorithmRequired = "RS256";
    public const string TypeRequired = "JWT";

    // jku/x5u would make us fetch a key from a URL the token names; jwk/x5c would make us
    // trust a key the token carries. Either lets the sender pick the key that checks its own
    // signature (CVE-2018-0114 and its relatives), so their mere presence is refused.
    private static readonly string[] EmbeddedKeyMembers = ["jku", "jwk", "x5u", "x5c"];

    public static Refusal? Check(JsonElement header, out string? keyId)
    {
        keyId = null;
        if (
            !header.TryGetProperty("alg", out JsonElement alg)
            || alg.ValueKind != JsonValueKind.String
            || !alg.ValueEquals(AlgorithmRequired)
        )
        {
            // Exact, case-sensitive match: "none", HS256 (the public-key-as-HMAC-secret
            // confusion), PS256, RS512 and "rs256" all end here.
            return new Refusal(TokenFailure.AlgorithmNotAllowed, "alg must be RS256");
        }
        if (
            header.TryGetProperty("typ", out JsonElement typ)
            && (typ.ValueKind != JsonValueKind.String || !typ.ValueEquals(TypeRequired))
        )
        {
            return new Refusal(TokenFailure.Malformed, "typ, when present, must be JWT");
        }
        if (header.TryGetProperty("crit", out _))
        {
            // RFC 7515 section 4.1.11: a recipient must refuse extensions it does not
            // understand, and this verifier understands none.
            return new Refusal(TokenFailure.Malformed, "crit header is not supported");
        }
        foreach (string member in EmbeddedKeyMembers)
        {
            if (header.TryGetProperty(member, out _))
            {
                return new Refusal(TokenFailure.Malformed, "embedded or remote keys are refused");
            }
        }
        return CheckKeyId(header, out keyId);
    }

    private static Refusal? CheckKeyId(JsonElement header, out string? keyId)
    {
        keyId = null;
        if (!header.TryGetProperty("kid", out JsonElement kid))
        {
            return null;
        }
        if (!JoseJson.TryGetString(kid, out keyId) || keyId.Length == 0)
        {
            keyId = null;
            return new Refusal(TokenFailure.Malformed, "kid, when present, must be a string");
        }
        return null;
    }
}
