using System.Security.Cryptography;

namespace Ledger.BitGoAuth.Tests;

/// <summary>
/// RSA keys made once per test run, because generating them takes most of the suite's time.
/// Each test gets its own RSA instance (CreatePrivate) so parallel tests never share one.
/// </summary>
internal sealed class TestKey
{
    private readonly RSAParameters privateParameters;

    private TestKey(int bits)
    {
        using RSA rsa = RSA.Create(bits);
        privateParameters = rsa.ExportParameters(includePrivateParameters: true);
        PrivatePem = rsa.ExportPkcs8PrivateKeyPem();
        PublicPem = rsa.ExportSubjectPublicKeyInfoPem();
        PublicPkcs1Pem = rsa.ExportRSAPublicKeyPem();
        Thumbprint = JwkThumbprint.Compute(rsa);
    }

    public static TestKey Current { get; } = new(2048);

    public static TestKey Old { get; } = new(2048);

    public static TestKey Weak { get; } = new(1024);

    public string PrivatePem { get; }

    public string PublicPem { get; }

    public string PublicPkcs1Pem { get; }

    public string Thumbprint { get; }

    public RSA CreatePrivate()
    {
        return RSA.Create(privateParameters);
    }

    public byte[] SignRs256(byte[] data)
    {
        using RSA rsa = CreatePrivate();
        return rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}
