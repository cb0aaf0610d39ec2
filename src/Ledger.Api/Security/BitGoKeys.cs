using Ledger.BitGoAuth;

namespace Ledger.Api.Security;

/// <summary>
/// BitGo's public keys from configuration: BitGo:PublicKeyPemPaths (files) and BitGo:PublicKeys
/// (inline PEMs). In Development with none configured, a dev key pair is made under
/// .ledger/dev-keys/ so the README's curl lines work; anywhere else that is a startup error,
/// because a ledger that trusts no key, or any key, must not serve BitGo's calls.
/// </summary>
public static class BitGoKeys
{
    public const string DevKeysDirectory = ".ledger/dev-keys";

    public static BitGoKeyRing Load(
        IConfiguration configuration,
        IHostEnvironment environment,
        ILogger logger
    )
    {
        List<string> pems = [.. configuration.GetSection("BitGo:PublicKeys").Get<string[]>() ?? []];
        foreach (
            string path in configuration.GetSection("BitGo:PublicKeyPemPaths").Get<string[]>() ?? []
        )
        {
            pems.Add(File.ReadAllText(path));
        }
        if (pems.Count == 0 && environment.IsDevelopment())
        {
            (string privatePath, string publicPath) = DevKeys.Ensure(DevKeysPath());
            logger.LogWarning(
                "No BitGo key configured: trusting the dev key {PublicKey} (private: {PrivateKey}). "
                    + "Mint tokens with: dotnet run --project src/Ledger.Api -- dev-token --body '<json>'",
                publicPath,
                privatePath
            );
            pems.Add(File.ReadAllText(publicPath));
        }
        if (pems.Count == 0)
        {
            throw new InvalidOperationException(
                "No BitGo public key is configured: set BitGo:PublicKeyPemPaths "
                    + "(e.g. BitGo__PublicKeyPemPaths__0=/path/key.pem) or BitGo:PublicKeys."
            );
        }
        return BitGoKeyRing.FromPems(pems);
    }

    public static string DevKeysPath() =>
        Path.Combine(Directory.GetCurrentDirectory(), DevKeysDirectory);
}
