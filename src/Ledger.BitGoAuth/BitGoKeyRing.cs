using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Ledger.BitGoAuth;

/// <summary>A public key to trust, and optionally the kid BitGo's tokens use for it.</summary>
public sealed record BitGoPublicKey(string PublicKeyPem, string? KeyId = null);

/// <summary>
/// The immutable set of BitGo public keys the verifier trusts. Every key is known by its
/// RFC 7638 thumbprint and, when configured, by one more kid. Several keys at once allow a
/// rotation without downtime: configure the new key, let BitGo switch, remove the old one.
/// Every check here is a configuration error, so it throws at startup instead of refusing
/// tokens one by one later.
/// </summary>
public sealed class BitGoKeyRing
{
    public const int KeyBitsMin = 2048;

    // Large keys make every verification slow; BitGo's key is 2048 bits.
    public const int KeyBitsMax = 8192;

    // A token without kid is tried against every key, so the count bounds that loop.
    public const int KeysCountMax = 16;
    public const int KeyIdLengthCharactersMax = 256;

    private static readonly string[] PublicKeyLabels = ["PUBLIC KEY", "RSA PUBLIC KEY"];

    private readonly RingKey[] keys;
    private readonly FrozenDictionary<string, RingKey> keysById;

    private BitGoKeyRing(RingKey[] keys, FrozenDictionary<string, RingKey> keysById)
    {
        this.keys = keys;
        this.keysById = keysById;
        KeyIds = Array.AsReadOnly(keys.Select(key => key.Thumbprint).ToArray());
    }

    /// <summary>The RFC 7638 thumbprint of each key, in configuration order.</summary>
    public IReadOnlyList<string> KeyIds { get; }

    public static BitGoKeyRing FromPems(IEnumerable<string> pemTexts)
    {
        ArgumentNullException.ThrowIfNull(pemTexts);
        return FromKeys(pemTexts.Select(pem => new BitGoPublicKey(pem)));
    }

    public static BitGoKeyRing FromKeys(IEnumerable<BitGoPublicKey> publicKeys)
    {
        ArgumentNullException.ThrowIfNull(publicKeys);
        BitGoPublicKey[] configured = publicKeys.Take(KeysCountMax + 1).ToArray();
        if (configured.Length == 0)
        {
            throw new ArgumentException("At least one BitGo public key is required.");
        }
        if (configured.Length > KeysCountMax)
        {
            throw new ArgumentException($"At most {KeysCountMax} BitGo public keys are allowed.");
        }
        RingKey[] keys = configured.Select(ImportKey).ToArray();
        var keysById = new Dictionary<string, RingKey>(StringComparer.Ordinal);
        foreach (RingKey key in keys)
        {
            AddUnique(keysById, key.Thumbprint, key);
            if (key.ConfiguredKeyId is not null)
            {
                AddUnique(keysById, key.ConfiguredKeyId, key);
            }
        }
        return new BitGoKeyRing(keys, keysById.ToFrozenDictionary(StringComparer.Ordinal));
    }

    /// <summary>
    /// Rule 3. A kid in the header selects exactly one key, else every key is tried.
    /// </summary>
    internal Refusal? Verify(CompactToken token, string? headerKeyId, out string verifiedKeyId)
    {
        verifiedKeyId = "";
        if (headerKeyId is not null)
        {
            if (!keysById.TryGetValue(headerKeyId, out RingKey? selected))
            {
                return new Refusal(TokenFailure.UnknownKeyId, "kid names no configured key");
            }
            if (!selected.Verifies(token.SigningInput, token.Signature))
            {
                return new Refusal(TokenFailure.BadSignature, "signature does not verify");
            }
            verifiedKeyId = headerKeyId;
            return null;
        }
        foreach (RingKey key in keys)
        {
            if (key.Verifies(token.SigningInput, token.Signature))
            {
                verifiedKeyId = key.Thumbprint;
                return null;
            }
        }
        return new Refusal(TokenFailure.BadSignature, "signature does not verify");
    }

    private static void AddUnique(Dictionary<string, RingKey> keysById, string id, RingKey key)
    {
        if (!keysById.TryAdd(id, key))
        {
            throw new ArgumentException(
                $"Key id '{id}' is configured twice (the same key twice, or a kid clash)."
            );
        }
    }

    private static RingKey ImportKey(BitGoPublicKey configured)
    {
        ArgumentNullException.ThrowIfNull(configured);
        ArgumentNullException.ThrowIfNull(configured.PublicKeyPem);
        string? keyId = configured.KeyId;
        if (keyId is not null && (keyId.Length == 0 || keyId.Length > KeyIdLengthCharactersMax))
        {
            throw new ArgumentException(
                $"A configured kid must have 1 to {KeyIdLengthCharactersMax} characters."
            );
        }
        RSA rsa = RsaPem.ImportSingle(configured.PublicKeyPem, PublicKeyLabels);
        try
        {
            RSAParameters parameters = rsa.ExportParameters(includePrivateParameters: false);
            CheckStrength(rsa.KeySize, parameters);
            return new RingKey(rsa, JwkThumbprint.Compute(parameters), keyId);
        }
        catch (ArgumentException)
        {
            rsa.Dispose();
            throw;
        }
    }

    private static void CheckStrength(int keyBits, RSAParameters parameters)
    {
        if (keyBits is < KeyBitsMin or > KeyBitsMax)
        {
            throw new ArgumentException(
                $"A BitGo key must have {KeyBitsMin} to {KeyBitsMax} bits, not {keyBits}."
            );
        }
        // An even exponent, or 1, is not an RSA key: e = 1 would make every "signature" the
        // padded message itself, which anyone can write.
        byte[] exponent = parameters.Exponent ?? [];
        bool exponentIsOdd = exponent.Length > 0 && (exponent[^1] & 1) == 1;
        bool exponentIsOne = exponent.AsSpan().TrimStart((byte)0).SequenceEqual([(byte)1]);
        if (!exponentIsOdd || exponentIsOne)
        {
            throw new ArgumentException("A BitGo key must have an odd public exponent >= 3.");
        }
    }
}
