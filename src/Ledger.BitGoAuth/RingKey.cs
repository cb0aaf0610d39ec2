using System.Security.Cryptography;

namespace Ledger.BitGoAuth;

/// <summary>One trusted public key of a <see cref="BitGoKeyRing"/>.</summary>
internal sealed class RingKey(RSA publicKey, string thumbprint, string? configuredKeyId)
{
    // .NET documents RSA instance members as not thread safe. Verification is cheap (tens of
    // microseconds for a 2048-bit key), so one lock per key costs little and removes the
    // question; see dotnet/corefx#9708 for why parallel use only happens to work.
    private readonly Lock gate = new();

    public string Thumbprint { get; } = thumbprint;

    public string? ConfiguredKeyId { get; } = configuredKeyId;

    public bool Verifies(byte[] signingInput, byte[] signature)
    {
        // RFC 8017 section 8.2.2 step 1: a signature of the wrong length is invalid. Checking
        // it here keeps odd lengths away from the platform's implementation.
        int signatureLengthBytes = (publicKey.KeySize + 7) / 8;
        if (signature.Length != signatureLengthBytes)
        {
            return false;
        }
        lock (gate)
        {
            try
            {
                return publicKey.VerifyData(
                    signingInput,
                    signature,
                    HashAlgorithmName.SHA256,
                    RSASignaturePadding.Pkcs1
                );
            }
            catch (CryptographicException)
            {
                // Some platforms throw instead of returning false for a signature that is out
                // of range for the modulus; either way it does not verify.
                return false;
            }
        }
    }
}
