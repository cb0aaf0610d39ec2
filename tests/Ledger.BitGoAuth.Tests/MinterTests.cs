using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ledger.BitGoAuth.Tests;

public sealed class MinterTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"deallocationId":"d1"}""");

    private readonly Scenario scenario = new(TestKey.Current, TestKey.Old);

    [Fact]
    public void Minted_token_round_trips_through_the_verifier()
    {
        using RSA key = TestKey.Current.CreatePrivate();
        var minter = new BitGoTokenMinter(key, scenario.Clock);

        string token = minter.Mint(Body, jti: "round-trip");

        VerifiedToken verified = Expect.Valid(scenario.Verifier.Verify(token, Body));
        Assert.Equal("round-trip", verified.Jti);
        Assert.Equal(scenario.Clock.Now.AddSeconds(60), verified.ExpiresAt);
        Assert.Equal(TestKey.Current.Thumbprint, verified.KeyId);
        Expect.Refused(scenario.Verifier.Verify(token, "{}"u8), TokenFailure.BodyHashMismatch);
    }

    [Fact]
    public void Minted_token_with_kid_names_its_key()
    {
        using RSA key = TestKey.Old.CreatePrivate();
        var minter = new BitGoTokenMinter(key, scenario.Clock, TestKey.Old.Thumbprint);

        string token = minter.Mint(Body);

        Assert.Equal(TestKey.Old.Thumbprint, minter.Thumbprint);
        Assert.Equal(TestKey.Old.Thumbprint, Header(token).GetProperty("kid").GetString());
        VerifiedToken verified = Expect.Valid(scenario.Verifier.Verify(token, Body));
        Assert.Equal(TestKey.Old.Thumbprint, verified.KeyId);
    }

    [Fact]
    public void Minted_token_without_body_hash_and_with_a_fresh_jti()
    {
        using BitGoTokenMinter minter = BitGoTokenMinter.FromPem(
            TestKey.Current.PrivatePem,
            scenario.Clock
        );

        string first = minter.Mint(Body, includeBodyHash: false);
        string second = minter.Mint(Body, includeBodyHash: false);

        Assert.False(Header(first).TryGetProperty("kid", out _));
        VerifiedToken one = Expect.Valid(scenario.Verifier.Verify(first, []));
        VerifiedToken two = Expect.Valid(scenario.Verifier.Verify(second, []));
        Assert.NotEqual(one.Jti, two.Jti);
    }

    [Fact]
    public void Minted_token_with_a_61_s_lifetime_is_LifetimeTooLong()
    {
        using BitGoTokenMinter minter = BitGoTokenMinter.FromPem(
            TestKey.Current.PrivatePem,
            scenario.Clock
        );

        Expect.Refused(
            scenario.Verifier.Verify(minter.Mint(Body, lifetimeSeconds: 61), Body),
            TokenFailure.LifetimeTooLong
        );
    }

    [Fact]
    public void Minter_rejects_a_weak_key_and_a_public_key_pem()
    {
        using RSA weak = TestKey.Weak.CreatePrivate();

        Assert.Throws<ArgumentException>(() => new BitGoTokenMinter(weak, scenario.Clock));
        Assert.Throws<ArgumentException>(() =>
            BitGoTokenMinter.FromPem(TestKey.Current.PublicPem, scenario.Clock)
        );
    }

    [Fact]
    public void MintRaw_signs_whatever_it_is_given()
    {
        using BitGoTokenMinter minter = BitGoTokenMinter.FromPem(
            TestKey.Current.PrivatePem,
            scenario.Clock
        );

        string token = minter.MintRaw("""{"alg":"RS256","alg":"RS256"}"""u8, "{}"u8);

        Expect.Refused(scenario.Verifier.Verify(token, []), TokenFailure.Malformed);
    }

    private static JsonElement Header(string token)
    {
        string segment = token.Split('.')[0].Replace('-', '+').Replace('_', '/');
        byte[] json = Convert.FromBase64String(segment.PadRight((segment.Length + 3) / 4 * 4, '='));
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
