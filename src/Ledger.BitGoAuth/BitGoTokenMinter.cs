using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ledger.BitGoAuth;

/// <summary>
/// Mints tokens the way BitGo does, for the simulator, the torture harness, the benchmark and
/// the dev-token CLI. <see cref="Mint"/> writes tokens that pass the verifier;
/// <see cref="MintRaw"/> signs any header and payload bytes, to build hostile tokens.
/// </summary>
public sealed class BitGoTokenMinter : IDisposable
{
    // Long enough for a test that needs a "too long" token, short enough to catch a unit slip
    // (milliseconds passed as seconds).
    public const int LifetimeSecondsMax = 86_400;
    public const int JtiRandomBytes = 16;

    private static readonly string[] PrivateKeyLabels = ["PRIVATE KEY", "RSA PRIVATE KEY"];

    private readonly RSA privateKey;
    private readonly bool ownsKey;
    private readonly TimeProvider time;

    // RSA instance members are not documented as thread safe; see RingKey.
    private readonly Lock gate = new();

    /// <param name="keyId">The kid to put in the header; null leaves kid out, so the verifier
    /// tries every key. Pass <see cref="Thumbprint"/> of this key to name it by thumbprint.
    /// </param>
    public BitGoTokenMinter(RSA privateKey, TimeProvider time, string? keyId = null)
        : this(privateKey, time, keyId, ownsKey: false) { }

    private BitGoTokenMinter(RSA privateKey, TimeProvider time, string? keyId, bool ownsKey)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        ArgumentNullException.ThrowIfNull(time);
        if (privateKey.KeySize < BitGoKeyRing.KeyBitsMin)
        {
            throw new ArgumentException(
                $"The key must have at least {BitGoKeyRing.KeyBitsMin} bits."
            );
        }
        if (keyId is { Length: 0 })
        {
            throw new ArgumentException("A kid must not be empty; pass null to leave it out.");
        }
        this.privateKey = privateKey;
        this.time = time;
        this.ownsKey = ownsKey;
        KeyId = keyId;
        Thumbprint = JwkThumbprint.Compute(privateKey);
    }

    public string? KeyId { get; }

    /// <summary>The RFC 7638 thumbprint of this key's public half.</summary>
    public string Thumbprint { get; }

    /// <summary>Loads a "PRIVATE KEY" or "RSA PRIVATE KEY" PEM; the minter owns the key.</summary>
    public static BitGoTokenMinter FromPem(
        string privateKeyPem,
        TimeProvider time,
        string? keyId = null
    )
    {
        RSA rsa = RsaPem.ImportSingle(privateKeyPem, PrivateKeyLabels);
        try
        {
            return new BitGoTokenMinter(rsa, time, keyId, ownsKey: true);
        }
        catch (ArgumentException)
        {
            rsa.Dispose();
            throw;
        }
    }

    /// <summary>A fresh random jti: 128 bits, base64url.</summary>
    public static string NewJti()
    {
        return StrictBase64Url.Encode(RandomNumberGenerator.GetBytes(JtiRandomBytes));
    }

    /// <summary>
    /// Mints a token with jti, iat = now (whole seconds), exp = iat + lifetime and, unless
    /// told otherwise, body_sha256 as lowercase hex.
    /// </summary>
    public string Mint(
        ReadOnlySpan<byte> body,
        int lifetimeSeconds = BitGoTokenVerifier.TokenLifetimeSecondsMax,
        string? jti = null,
        bool includeBodyHash = true
    )
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lifetimeSeconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lifetimeSeconds, LifetimeSecondsMax);
        long issuedAtSeconds = time.GetUtcNow().ToUnixTimeSeconds();
        string? bodyHash = includeBodyHash ? Convert.ToHexStringLower(SHA256.HashData(body)) : null;
        byte[] header = WriteJson(writer =>
        {
            writer.WriteString("alg", HeaderRules.AlgorithmRequired);
            writer.WriteString("typ", HeaderRules.TypeRequired);
            if (KeyId is not null)
            {
                writer.WriteString("kid", KeyId);
            }
        });
        string tokenJti = jti ?? NewJti();
        byte[] payload = WriteJson(writer =>
        {
            writer.WriteString("jti", tokenJti);
            writer.WriteNumber("iat", issuedAtSeconds);
            writer.WriteNumber("exp", issuedAtSeconds + lifetimeSeconds);
            if (bodyHash is not null)
            {
                writer.WriteString(BodyHashRule.ClaimName, bodyHash);
            }
        });
        return MintRaw(header, payload);
    }

    /// <summary>
    /// Signs the given header and payload bytes with RS256, checking nothing, so that tests
    /// can build tokens the verifier must refuse (duplicate members, bad claims, and so on).
    /// </summary>
    public string MintRaw(ReadOnlySpan<byte> headerJson, ReadOnlySpan<byte> payloadJson)
    {
        string signingInput =
            StrictBase64Url.Encode(headerJson) + "." + StrictBase64Url.Encode(payloadJson);
        byte[] signature;
        lock (gate)
        {
            signature = privateKey.SignData(
                Encoding.ASCII.GetBytes(signingInput),
                HashAlgorithmName.SHA256,
                RSASignaturePadding.Pkcs1
            );
        }
        return signingInput + "." + StrictBase64Url.Encode(signature);
    }

    public void Dispose()
    {
        if (ownsKey)
        {
            privateKey.Dispose();
        }
    }

    private static byte[] WriteJson(Action<Utf8JsonWriter> writeMembers)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeMembers(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
