using System.Security.Cryptography;
using Ledger.BitGoAuth;

namespace Ledger.Api.Tests.Support;

/// <summary>
/// BitGo's key pair and the query API's keys, as the tests configure them. One RSA key per test
/// process: generating 2048-bit keys is slow, and the key is not what the tests are about.
/// </summary>
public static class TestCredentials
{
    public const string OperatorApiKey = "test-operator-key-0123456789abcdef";
    public const string AuditorApiKey = "test-auditor-key-0123456789abcdef";
    public const string ReaderApiKey = "test-reader-key-0123456789abcdef";

    private static readonly Lazy<RSA> BitGoKey = new(() => RSA.Create(2048));

    public static RSA BitGoPrivateKey => BitGoKey.Value;

    public static string BitGoPublicKeyPem => BitGoKey.Value.ExportSubjectPublicKeyInfoPem();

    /// <summary>A fresh, valid token for one request body, as BitGo would sign it.</summary>
    public static string SignFor(ReadOnlySpan<byte> body)
    {
        using var minter = new BitGoTokenMinter(BitGoPrivateKey, TimeProvider.System);
        return minter.Mint(body);
    }

    /// <summary>The settings that trust the test BitGo key and define one key per role.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Settings() =>
        [
            new("BitGo:PublicKeys:0", BitGoPublicKeyPem),
            new("Auth:ApiKeys:test-operator:Key", OperatorApiKey),
            new("Auth:ApiKeys:test-operator:Role", "operator"),
            new("Auth:ApiKeys:test-auditor:Key", AuditorApiKey),
            new("Auth:ApiKeys:test-auditor:Role", "auditor"),
            new("Auth:ApiKeys:test-reader:Key", ReaderApiKey),
            new("Auth:ApiKeys:test-reader:Role", "reader"),
        ];
}
