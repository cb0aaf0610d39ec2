using System.Security.Cryptography;
using System.Text;

namespace Ledger.BitGoAuth.Tests;

/// <summary>
/// Builds compact JWS tokens for tests without the library's minter, so a bug in the minter
/// and the same bug in the verifier cannot hide each other.
/// </summary>
internal static class Jws
{
    public const string Rs256Header = """{"alg":"RS256","typ":"JWT"}""";

    public static string B64(string text)
    {
        return B64(Encoding.UTF8.GetBytes(text));
    }

    public static string B64(byte[] bytes)
    {
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static string SignedRs256(string headerJson, string payloadJson, TestKey? key = null)
    {
        string signingInput = B64(headerJson) + "." + B64(payloadJson);
        TestKey signer = key ?? TestKey.Current;
        byte[] signature = signer.SignRs256(Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + B64(signature);
    }

    public static string SignedRs256(string payloadJson)
    {
        return SignedRs256(Rs256Header, payloadJson);
    }

    public static string SignedHs256(string headerJson, string payloadJson, byte[] secret)
    {
        string signingInput = B64(headerJson) + "." + B64(payloadJson);
        byte[] mac = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + B64(mac);
    }

    public static string SignedPs256(string headerJson, string payloadJson)
    {
        string signingInput = B64(headerJson) + "." + B64(payloadJson);
        using RSA rsa = TestKey.Current.CreatePrivate();
        byte[] signature = rsa.SignData(
            Encoding.ASCII.GetBytes(signingInput),
            HashAlgorithmName.SHA256,
            RSASignaturePadding.Pss
        );
        return signingInput + "." + B64(signature);
    }

    public static string[] Segments(string token)
    {
        return token.Split('.');
    }
}
