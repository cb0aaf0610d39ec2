namespace Ledger.BitGoAuth.Tests;

/// <summary>Rule 3: an RS256 signature by a configured key, chosen by kid or by trying each.
/// </summary>
public sealed class Rule3SignatureTests
{
    [Fact]
    public void Signed_with_a_different_rsa_key_is_BadSignature()
    {
        var scenario = new Scenario(TestKey.Current);

        TokenVerification result = scenario.Verify(
            Jws.SignedRs256(Jws.Rs256Header, Scenario.Claims(), TestKey.Old)
        );

        Expect.Refused(result, TokenFailure.BadSignature);
    }

    [Fact]
    public void Tampered_payload_is_BadSignature()
    {
        var scenario = new Scenario();
        string[] parts = Jws.Segments(Jws.SignedRs256(Scenario.Claims()));
        string tampered = Jws.B64(
            Scenario.Claims().Replace(Scenario.Jti, "jti-0002", StringComparison.Ordinal)
        );

        TokenVerification result = scenario.Verify(parts[0] + "." + tampered + "." + parts[2]);

        Expect.Refused(result, TokenFailure.BadSignature);
    }

    [Fact]
    public void Tampered_header_is_BadSignature()
    {
        var scenario = new Scenario();
        string[] parts = Jws.Segments(Jws.SignedRs256(Scenario.Claims()));

        string token = Jws.B64("""{"alg":"RS256"}""") + "." + parts[1] + "." + parts[2];

        Expect.Refused(scenario.Verify(token), TokenFailure.BadSignature);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(257)]
    [InlineData(512)]
    public void Signature_of_the_wrong_length_is_BadSignature(int lengthBytes)
    {
        var scenario = new Scenario();
        string[] parts = Jws.Segments(Jws.SignedRs256(Scenario.Claims()));
        byte[] signature = new byte[lengthBytes];
        Array.Fill(signature, (byte)0xFF);

        string token = parts[0] + "." + parts[1] + "." + Jws.B64(signature);

        Expect.Refused(scenario.Verify(token), TokenFailure.BadSignature);
    }

    [Fact]
    public void Kid_selects_the_key()
    {
        var scenario = new Scenario(TestKey.Current, TestKey.Old);
        string header = $$"""{"alg":"RS256","kid":"{{TestKey.Old.Thumbprint}}"}""";

        VerifiedToken verified = Expect.Valid(
            scenario.Verify(Jws.SignedRs256(header, Scenario.Claims(), TestKey.Old))
        );

        Assert.Equal(TestKey.Old.Thumbprint, verified.KeyId);
    }

    [Fact]
    public void Kid_of_one_key_with_a_signature_by_another_configured_key_is_BadSignature()
    {
        // The kid restricts the check to that one key: no falling back to the others.
        var scenario = new Scenario(TestKey.Current, TestKey.Old);
        string header = $$"""{"alg":"RS256","kid":"{{TestKey.Current.Thumbprint}}"}""";

        TokenVerification result = scenario.Verify(
            Jws.SignedRs256(header, Scenario.Claims(), TestKey.Old)
        );

        Expect.Refused(result, TokenFailure.BadSignature);
    }

    [Fact]
    public void Unknown_kid_is_UnknownKeyId()
    {
        var scenario = new Scenario();
        string header = """{"alg":"RS256","kid":"no-such-key"}""";

        Expect.Refused(
            scenario.Verify(Jws.SignedRs256(header, Scenario.Claims())),
            TokenFailure.UnknownKeyId
        );
    }

    [Fact]
    public void Configured_kid_selects_the_key()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(Scenario.NowSeconds));
        BitGoKeyRing ring = BitGoKeyRing.FromKeys([
            new BitGoPublicKey(TestKey.Current.PublicPem, "bitgo-2026-01"),
            new BitGoPublicKey(TestKey.Old.PublicPem, "bitgo-2025-01"),
        ]);
        var verifier = new BitGoTokenVerifier(ring, clock);
        string header = """{"alg":"RS256","kid":"bitgo-2025-01"}""";

        VerifiedToken verified = Expect.Valid(
            verifier.Verify(Jws.SignedRs256(header, Scenario.Claims(), TestKey.Old), [])
        );

        Assert.Equal("bitgo-2025-01", verified.KeyId);
    }

    [Fact]
    public void Key_rotation_old_key_verifies_while_both_are_configured_and_fails_once_removed()
    {
        string signedByOld = Jws.SignedRs256(Jws.Rs256Header, Scenario.Claims(), TestKey.Old);
        string signedByCurrent = Jws.SignedRs256(Scenario.Claims());
        var both = new Scenario(TestKey.Current, TestKey.Old);
        var currentOnly = new Scenario(TestKey.Current);

        Assert.Equal(TestKey.Old.Thumbprint, Expect.Valid(both.Verify(signedByOld)).KeyId);
        Assert.Equal(TestKey.Current.Thumbprint, Expect.Valid(both.Verify(signedByCurrent)).KeyId);
        Expect.Refused(currentOnly.Verify(signedByOld), TokenFailure.BadSignature);
        Expect.Valid(currentOnly.Verify(signedByCurrent));
    }

    [Fact]
    public void Signature_over_a_differently_encoded_signing_input_is_BadSignature()
    {
        // The signature covers the base64url text, not the decoded JSON: the same JSON with
        // different spacing is a different message.
        var scenario = new Scenario();
        string[] parts = Jws.Segments(Jws.SignedRs256(Scenario.Claims()));
        string respaced = Jws.B64(Scenario.Claims() + " ");
        Assert.NotEqual(parts[1], respaced);

        Expect.Refused(
            scenario.Verify(parts[0] + "." + respaced + "." + parts[2]),
            TokenFailure.BadSignature
        );
    }
}
