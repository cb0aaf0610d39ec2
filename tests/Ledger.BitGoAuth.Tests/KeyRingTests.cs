using System.Security.Cryptography;

namespace Ledger.BitGoAuth.Tests;

/// <summary>Configuration of trusted keys: wrong keys fail at startup, not per request.</summary>
public sealed class KeyRingTests
{
    [Fact]
    public void Key_ring_rejects_a_1024_bit_key()
    {
        Assert.Throws<ArgumentException>(() => BitGoKeyRing.FromPems([TestKey.Weak.PublicPem]));
    }

    [Fact]
    public void Key_ring_accepts_public_key_and_rsa_public_key_pems()
    {
        BitGoKeyRing ring = BitGoKeyRing.FromPems([
            TestKey.Current.PublicPem,
            TestKey.Old.PublicPkcs1Pem,
        ]);

        Assert.Equal([TestKey.Current.Thumbprint, TestKey.Old.Thumbprint], ring.KeyIds);
    }

    [Fact]
    public void Key_ring_rejects_a_private_key_pem()
    {
        // The ledger must only ever hold BitGo's public key.
        Assert.Throws<ArgumentException>(() => BitGoKeyRing.FromPems([TestKey.Current.PrivatePem]));
    }

    [Fact]
    public void Key_ring_rejects_an_ec_key()
    {
        using ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        Assert.Throws<ArgumentException>(() =>
            BitGoKeyRing.FromPems([ec.ExportSubjectPublicKeyInfoPem()])
        );
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a key")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")]
    public void Key_ring_rejects_unparsable_text(string pem)
    {
        Assert.Throws<ArgumentException>(() => BitGoKeyRing.FromPems([pem]));
    }

    [Fact]
    public void Key_ring_rejects_two_keys_in_one_pem_text()
    {
        string twoKeys = TestKey.Current.PublicPem + "\n" + TestKey.Old.PublicPem;

        Assert.Throws<ArgumentException>(() => BitGoKeyRing.FromPems([twoKeys]));
    }

    [Fact]
    public void Key_ring_rejects_an_empty_list_and_the_same_key_twice()
    {
        Assert.Throws<ArgumentException>(() => BitGoKeyRing.FromPems([]));
        Assert.Throws<ArgumentException>(() =>
            BitGoKeyRing.FromPems([TestKey.Current.PublicPem, TestKey.Current.PublicPkcs1Pem])
        );
    }

    [Fact]
    public void Key_ring_rejects_a_configured_kid_that_clashes()
    {
        Assert.Throws<ArgumentException>(() =>
            BitGoKeyRing.FromKeys([
                new BitGoPublicKey(TestKey.Current.PublicPem, "same"),
                new BitGoPublicKey(TestKey.Old.PublicPem, "same"),
            ])
        );
        Assert.Throws<ArgumentException>(() =>
            BitGoKeyRing.FromKeys([
                new BitGoPublicKey(TestKey.Current.PublicPem, TestKey.Old.Thumbprint),
                new BitGoPublicKey(TestKey.Old.PublicPem),
            ])
        );
    }

    [Fact]
    public void Key_ring_rejects_a_public_exponent_of_one()
    {
        using RSA rsa = TestKey.Current.CreatePrivate();
        RSAParameters parameters = rsa.ExportParameters(includePrivateParameters: false);
        string pem = PemEncoding.WriteString(
            "RSA PUBLIC KEY",
            EncodeRsaPublicKey(parameters.Modulus!, [1])
        );

        Assert.Throws<ArgumentException>(() => BitGoKeyRing.FromPems([pem]));
    }

    [Fact]
    public void Jwk_thumbprint_matches_the_rfc_7638_example()
    {
        // RFC 7638 section 3.1.
        const string modulus =
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFx"
            + "uhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt"
            + "7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6"
            + "qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksIN"
            + "HaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        using RSA rsa = RSA.Create(
            new RSAParameters { Modulus = FromBase64Url(modulus), Exponent = [1, 0, 1] }
        );

        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", JwkThumbprint.Compute(rsa));
    }

    private static byte[] FromBase64Url(string text)
    {
        string standard = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(standard.PadRight((standard.Length + 3) / 4 * 4, '='));
    }

    private static byte[] EncodeRsaPublicKey(byte[] modulus, byte[] exponent)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteIntegerUnsigned(modulus);
            writer.WriteIntegerUnsigned(exponent);
        }
        return writer.Encode();
    }
}
