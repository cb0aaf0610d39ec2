namespace Ledger.BitGoAuth.Tests;

public sealed class DevKeysTests : IDisposable
{
    private readonly string directory = Path.Combine(
        Path.GetTempPath(),
        "ledger-bitgo-auth-tests-" + Guid.NewGuid().ToString("N")
    );

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void DevKeys_Ensure_is_idempotent_and_the_private_key_file_is_mode_0600()
    {
        (string privatePath, string publicPath) = DevKeys.Ensure(directory);
        string privatePem = File.ReadAllText(privatePath);
        string publicPem = File.ReadAllText(publicPath);

        (string privateAgain, string publicAgain) = DevKeys.Ensure(directory);

        Assert.Equal(Path.Combine(directory, DevKeys.PrivateKeyFileName), privatePath);
        Assert.Equal(Path.Combine(directory, DevKeys.PublicKeyFileName), publicPath);
        Assert.Equal((privatePath, publicPath), (privateAgain, publicAgain));
        Assert.Equal(privatePem, File.ReadAllText(privatePath));
        Assert.Equal(publicPem, File.ReadAllText(publicPath));
        Assert.Contains("-----BEGIN PRIVATE KEY-----", privatePem, StringComparison.Ordinal);
        Assert.Contains("-----BEGIN PUBLIC KEY-----", publicPem, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(
                UnixFileMode.UserRead | UnixFileMode.UserWrite,
                File.GetUnixFileMode(privatePath)
            );
        }
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
    }

    [Fact]
    public void DevKeys_are_a_working_pair()
    {
        (string privatePath, string publicPath) = DevKeys.Ensure(directory);
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(Scenario.NowSeconds));
        using BitGoTokenMinter minter = BitGoTokenMinter.FromPem(
            File.ReadAllText(privatePath),
            clock
        );
        var verifier = new BitGoTokenVerifier(
            BitGoKeyRing.FromPems([File.ReadAllText(publicPath)]),
            clock
        );

        Expect.Valid(verifier.Verify(minter.Mint("{}"u8), "{}"u8));
    }

    [Fact]
    public void DevKeys_Ensure_rederives_a_missing_public_key_and_tightens_the_private_mode()
    {
        (string privatePath, string publicPath) = DevKeys.Ensure(directory);
        string publicPem = File.ReadAllText(publicPath);
        File.Delete(publicPath);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(privatePath, (UnixFileMode)Convert.ToInt32("644", 8));
        }

        DevKeys.Ensure(directory);

        Assert.Equal(publicPem, File.ReadAllText(publicPath));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(
                UnixFileMode.UserRead | UnixFileMode.UserWrite,
                File.GetUnixFileMode(privatePath)
            );
        }
    }

    [Fact]
    public void DevKeys_Ensure_refuses_a_public_key_without_its_private_key()
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(
            Path.Combine(directory, DevKeys.PublicKeyFileName),
            TestKey.Current.PublicPem
        );

        Assert.Throws<InvalidOperationException>(() => DevKeys.Ensure(directory));
    }
}
