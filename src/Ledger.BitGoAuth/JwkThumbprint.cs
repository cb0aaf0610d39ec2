using System.Security.Cryptography;
using System.Text;

namespace Ledger.BitGoAuth;

/// <summary>
/// RFC 7638 JWK thumbprint of an RSA public key: SHA-256 over the JSON text
/// {"e":...,"kty":"RSA","n":...} with exactly these members in this order and no whitespace,
/// written as base64url. It names a key the same way in every JOSE library, so it is the kid
/// a key gets when configuration gives it no other name.
/// </summary>
public static class JwkThumbprint
{
    public static string Compute(RSA publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        return Compute(publicKey.ExportParameters(includePrivateParameters: false));
    }

    internal static string Compute(RSAParameters parameters)
    {
        if (parameters.Modulus is null || parameters.Exponent is null)
        {
            throw new ArgumentException("The RSA key has no public parameters.");
        }
        // RFC 7518 section 6.3.1 wants the minimal big-endian encoding: no leading zero bytes.
        string exponent = StrictBase64Url.Encode(WithoutLeadingZeros(parameters.Exponent));
        string modulus = StrictBase64Url.Encode(WithoutLeadingZeros(parameters.Modulus));
        string canonicalJson = $$"""{"e":"{{exponent}}","kty":"RSA","n":"{{modulus}}"}""";
        byte[] digest = SHA256.HashData(Encoding.ASCII.GetBytes(canonicalJson));
        return StrictBase64Url.Encode(digest);
    }

    private static ReadOnlySpan<byte> WithoutLeadingZeros(byte[] bigEndian)
    {
        ReadOnlySpan<byte> span = bigEndian;
        int firstNonZero = span.IndexOfAnyExcept((byte)0);
        if (firstNonZero < 0)
        {
            throw new ArgumentException("An RSA parameter of zero is not a key.");
        }
        return span[firstNonZero..];
    }
}
