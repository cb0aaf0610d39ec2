using System.Security.Cryptography;
using Ledger.BitGoAuth;

namespace Ledger.HttpBench;

/// <summary>
/// BitGo's side of authentication: a key pair made for this run, whose public half the API
/// trusts, and tokens minted for exact bodies. Minting is RSA signing, which costs far more
/// CPU than the ledger's verification; so every token of a scenario is minted before its clock
/// starts, on all cores, and never while the ledger is measured.
/// </summary>
public sealed class Signer : IDisposable
{
    private const int KeyBits = 2048;

    private readonly RSA _key = RSA.Create(KeyBits);

    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem();

    /// <summary>A token for each body, in order. Each has its own jti, as BitGo's do.</summary>
    public string[] MintAll(IReadOnlyList<byte[]> bodies)
    {
        var tokens = new string[bodies.Count];
        RSAParameters parameters = _key.ExportParameters(includePrivateParameters: true);
        int workers = Math.Max(1, Environment.ProcessorCount);
        Parallel.For(
            0,
            workers,
            new ParallelOptions { MaxDegreeOfParallelism = workers },
            worker =>
            {
                // RSA instances are not documented as thread safe, and the minter locks around its
                // key; one copy of the key per worker keeps every core busy.
                using RSA copy = RSA.Create(parameters);
                using var minter = new BitGoTokenMinter(copy, TimeProvider.System);
                for (int i = worker; i < bodies.Count; i += workers)
                {
                    tokens[i] = minter.Mint(bodies[i]);
                }
            }
        );
        return tokens;
    }

    /// <summary>One token; callers may be concurrent (setup retries), so the key is locked.</summary>
    public string Mint(byte[] body)
    {
        lock (_key)
        {
            using var minter = new BitGoTokenMinter(_key, TimeProvider.System);
            return minter.Mint(body);
        }
    }

    public void Dispose() => _key.Dispose();
}
