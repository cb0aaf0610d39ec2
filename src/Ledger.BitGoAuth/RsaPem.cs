using System.Security.Cryptography;

namespace Ledger.BitGoAuth;

/// <summary>
/// Loads exactly one RSA key from PEM text, accepting only the labels the caller names. The
/// label check keeps a private key out of the verifier's key ring, and a public key out of the
/// minter, before RSA.ImportFromPem sees the text.
/// </summary>
internal static class RsaPem
{
    public static RSA ImportSingle(string pemText, IReadOnlyCollection<string> labelsAllowed)
    {
        ArgumentNullException.ThrowIfNull(pemText);
        if (!PemEncoding.TryFind(pemText, out PemFields fields))
        {
            throw new ArgumentException("The text holds no PEM block.");
        }
        string label = pemText[fields.Label];
        if (!labelsAllowed.Contains(label, StringComparer.Ordinal))
        {
            throw new ArgumentException(
                $"PEM label '{label}' is not one of: {string.Join(", ", labelsAllowed)}."
            );
        }
        if (PemEncoding.TryFind(pemText.AsSpan(fields.Location.End.Value), out _))
        {
            throw new ArgumentException("The text holds more than one PEM block.");
        }
        RSA rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pemText);
        }
        catch (Exception exception) when (exception is CryptographicException or ArgumentException)
        {
            rsa.Dispose();
            throw new ArgumentException("The PEM block is not a usable RSA key.", exception);
        }
        return rsa;
    }
}
