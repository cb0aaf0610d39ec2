using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Ledger.Api.Tests.Support;
using Ledger.BitGoAuth;

namespace Ledger.Api.Tests.Security;

/// <summary>
/// Builds the tokens an attacker would try, byte by byte: <see cref="Sign"/> signs any header and
/// payload with RS256 (BitGoTokenMinter.MintRaw), the rest is written by hand.
/// </summary>
public static class ForgedTokens
{
    public const int LifetimeSecondsMax = 60;

    // Generated once per process: a 2048-bit key takes a noticeable moment to make.
    private static readonly Lazy<RSA> OtherKey = new(() => RSA.Create(2048));
    private static readonly Lazy<RSA> RotatedKey = new(() => RSA.Create(2048));

    /// <summary>A key BitGo never configured: what an attacker signs with.</summary>
    public static RSA AttackerKey => OtherKey.Value;

    /// <summary>The key BitGo rotates to in the rotation tests.</summary>
    public static RSA NewBitGoKey => RotatedKey.Value;

    public static string PublicPem(RSA key) => key.ExportSubjectPublicKeyInfoPem();

    public static long NowSeconds => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static string Header(string algorithm = "RS256") =>
        new JsonObject { ["alg"] = algorithm, ["typ"] = "JWT" }.ToJsonString();

    /// <summary>Claims that pass every rule for <paramref name="body"/>, then changed.</summary>
    public static string Claims(byte[] body, Action<JsonObject>? change = null)
    {
        long now = NowSeconds;
        var claims = new JsonObject
        {
            ["jti"] = BitGoTokenMinter.NewJti(),
            ["iat"] = now,
            ["exp"] = now + LifetimeSecondsMax,
            ["body_sha256"] = Convert.ToHexStringLower(SHA256.HashData(body)),
        };
        change?.Invoke(claims);
        return claims.ToJsonString();
    }

    /// <summary>RS256 over any header and payload text, by default with the test key.</summary>
    public static string Sign(string header, string payload, RSA? key = null)
    {
        using var minter = new BitGoTokenMinter(
            key ?? TestCredentials.BitGoPrivateKey,
            TimeProvider.System
        );
        return minter.MintRaw(Encoding.UTF8.GetBytes(header), Encoding.UTF8.GetBytes(payload));
    }

    /// <summary>A valid token for the body, signed by the key, with an optional kid.</summary>
    public static string Mint(byte[] body, RSA key, string? keyId = null)
    {
        using var minter = new BitGoTokenMinter(key, TimeProvider.System, keyId);
        return minter.Mint(body);
    }

    public static string Segment(string json) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    /// <summary>Key confusion: HS256 keyed with the verifier's own public key PEM.</summary>
    public static string HmacWithPublicKeyPem(byte[] body)
    {
        string signingInput = Segment(Header("HS256")) + "." + Segment(Claims(body));
        byte[] secret = Encoding.ASCII.GetBytes(TestCredentials.BitGoPublicKeyPem);
        byte[] mac = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(signingInput));
        return signingInput + "." + Base64Url.EncodeToString(mac);
    }

    /// <summary>A valid token whose payload segment is swapped for another after signing.</summary>
    public static string WithTamperedPayload(byte[] body)
    {
        string[] parts = Sign(Header(), Claims(body)).Split('.');
        string longer = Claims(body, c => c["exp"] = NowSeconds + LifetimeSecondsMax + 3600);
        return parts[0] + "." + Segment(longer) + "." + parts[2];
    }

    /// <summary>The three segments; the ones a refusal must never echo.</summary>
    public static IEnumerable<string> Segments(string token) =>
        token.Split('.').Where(s => s.Length > 0);
}
