using System.Security.Cryptography;

namespace Ledger.BitGoAuth;

/// <summary>
/// Development convenience: a local stand-in for BitGo's key pair, so the simulator can sign
/// and the ledger can verify without any real BitGo key. Never use these keys in production.
/// </summary>
public static class DevKeys
{
    public const string PrivateKeyFileName = "bitgo-dev-private.pem";
    public const string PublicKeyFileName = "bitgo-dev-public.pem";
    public const int KeyBits = 2048;

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Creates directory/bitgo-dev-private.pem (mode 0600) and bitgo-dev-public.pem if they
    /// are absent, and returns both paths. Existing files are kept, so calling it again is
    /// harmless; a missing public key is derived again from the private key.
    /// </summary>
    public static (string PrivateKeyPath, string PublicKeyPath) Ensure(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        string privatePath = Path.Combine(directory, PrivateKeyFileName);
        string publicPath = Path.Combine(directory, PublicKeyFileName);
        if (!File.Exists(privatePath))
        {
            if (File.Exists(publicPath))
            {
                // A public key without its private key is a leftover we cannot repair; making
                // a new pair would silently break whatever trusts the old public key.
                throw new InvalidOperationException(
                    $"{publicPath} exists without {PrivateKeyFileName}; delete it to start over."
                );
            }
            using RSA created = RSA.Create(KeyBits);
            WriteAtomically(privatePath, created.ExportPkcs8PrivateKeyPem(), privateFile: true);
        }
        RestrictToOwner(privatePath);
        if (!File.Exists(publicPath))
        {
            using RSA existing = RSA.Create();
            existing.ImportFromPem(File.ReadAllText(privatePath));
            WriteAtomically(publicPath, existing.ExportSubjectPublicKeyInfoPem(), false);
        }
        return (privatePath, publicPath);
    }

    private static void WriteAtomically(string path, string pem, bool privateFile)
    {
        // Write a temporary file and rename it, so a crash never leaves half a key, and the
        // private key is 0600 from its first byte, not chmod-ed after it was readable.
        string temporaryPath = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
        };
        if (privateFile && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerReadWrite;
        }
        try
        {
            using (var writer = new StreamWriter(temporaryPath, options))
            {
                writer.Write(pem);
                writer.Write('\n');
            }
            if (privateFile)
            {
                RestrictToOwner(temporaryPath);
            }
            File.Move(temporaryPath, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created the same file between our check and our rename. Its
            // file is as good as ours, and keeping it keeps both processes on one key.
        }
        finally
        {
            File.Delete(temporaryPath);
        }
    }

    private static void RestrictToOwner(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        // The umask may have taken bits away, or an older file may be too open: set 0600.
        if (File.GetUnixFileMode(path) != OwnerReadWrite)
        {
            File.SetUnixFileMode(path, OwnerReadWrite);
        }
    }
}
