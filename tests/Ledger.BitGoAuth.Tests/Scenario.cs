using System.Globalization;

namespace Ledger.BitGoAuth.Tests;

/// <summary>
/// The fixed world most tests run in: the clock stands at 2026-01-01T00:00:00Z and the
/// verifier trusts <see cref="TestKey.Current"/> only.
/// </summary>
internal sealed class Scenario
{
    public const long NowSeconds = 1_767_225_600;
    public const string Jti = "jti-0001";

    public Scenario(params TestKey[] trusted)
    {
        TestKey[] keys = trusted.Length == 0 ? [TestKey.Current] : trusted;
        Clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(NowSeconds));
        Verifier = new BitGoTokenVerifier(
            BitGoKeyRing.FromPems(keys.Select(key => key.PublicPem)),
            Clock
        );
    }

    public FakeTimeProvider Clock { get; }

    public BitGoTokenVerifier Verifier { get; }

    /// <summary>A valid claim set: iat now, exp now + 60, a jti. Extra members go last.</summary>
    public static string Claims(string extraMembers = "")
    {
        string exp = (NowSeconds + 60).ToString(CultureInfo.InvariantCulture);
        string iat = NowSeconds.ToString(CultureInfo.InvariantCulture);
        string extra = extraMembers.Length == 0 ? "" : "," + extraMembers;
        return $$"""{"jti":"{{Jti}}","iat":{{iat}},"exp":{{exp}}{{extra}}}""";
    }

    /// <summary>Seconds relative to now, as JSON number text.</summary>
    public static string At(decimal offsetSeconds)
    {
        return (NowSeconds + offsetSeconds).ToString(CultureInfo.InvariantCulture);
    }

    public TokenVerification Verify(string? token)
    {
        return Verifier.Verify(token, []);
    }
}
