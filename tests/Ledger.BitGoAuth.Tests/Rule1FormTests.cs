namespace Ledger.BitGoAuth.Tests;

/// <summary>Rule 1: the token is present and in strict JWS compact form.</summary>
public sealed class Rule1FormTests
{
    private readonly Scenario scenario = new();

    [Fact]
    public void Valid_token_verifies_and_returns_jti_expiry_and_key_id()
    {
        string token = Jws.SignedRs256(Scenario.Claims());

        VerifiedToken verified = Expect.Valid(scenario.Verify(token));

        Assert.Equal(Scenario.Jti, verified.Jti);
        Assert.Equal(
            DateTimeOffset.FromUnixTimeSeconds(Scenario.NowSeconds + 60),
            verified.ExpiresAt
        );
        Assert.Equal(TestKey.Current.Thumbprint, verified.KeyId);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Missing_token_is_Missing(string? token)
    {
        Expect.Refused(scenario.Verify(token), TokenFailure.Missing);
    }

    [Fact]
    public void Unsigned_token_with_two_segments_is_Malformed()
    {
        string[] parts = Jws.Segments(Jws.SignedRs256(Scenario.Claims()));

        Expect.Refused(scenario.Verify(parts[0] + "." + parts[1]), TokenFailure.Malformed);
    }

    [Fact]
    public void Unsigned_token_with_empty_signature_is_Malformed()
    {
        string[] parts = Jws.Segments(Jws.SignedRs256(Scenario.Claims()));

        Expect.Refused(scenario.Verify(parts[0] + "." + parts[1] + "."), TokenFailure.Malformed);
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("...")]
    [InlineData("a.b.c.d")]
    public void Token_without_exactly_three_non_empty_segments_is_Malformed(string token)
    {
        Expect.Refused(scenario.Verify(token), TokenFailure.Malformed);
    }

    [Fact]
    public void Token_with_a_fourth_segment_is_Malformed()
    {
        string token = Jws.SignedRs256(Scenario.Claims());

        Expect.Refused(scenario.Verify(token + "." + Jws.B64("x")), TokenFailure.Malformed);
    }

    [Fact]
    public void Token_over_the_length_limit_is_Malformed_even_when_validly_signed()
    {
        string filler = new('x', BitGoTokenVerifier.TokenLengthCharactersMax);
        string token = Jws.SignedRs256(
            Scenario.Claims(
                $$"""
                "filler":"{{filler}}"
                """
            )
        );
        Assert.True(token.Length > BitGoTokenVerifier.TokenLengthCharactersMax);

        Expect.Refused(scenario.Verify(token), TokenFailure.Malformed);
    }

    [Fact]
    public void Token_at_exactly_the_length_limit_verifies()
    {
        string shortest = Jws.SignedRs256(
            Scenario.Claims(
                """
                "filler":""
                """
            )
        );
        // Every three filler bytes add four base64url characters to the token.
        int fillerLength = (BitGoTokenVerifier.TokenLengthCharactersMax - shortest.Length) / 4 * 3;
        string token = Jws.SignedRs256(
            Scenario.Claims(
                $$"""
                "filler":"{{new string('x', fillerLength)}}"
                """
            )
        );
        Assert.InRange(
            token.Length,
            BitGoTokenVerifier.TokenLengthCharactersMax - 3,
            BitGoTokenVerifier.TokenLengthCharactersMax
        );

        Expect.Valid(scenario.Verify(token));
    }

    [Theory]
    [InlineData("padding")]
    [InlineData("plus")]
    [InlineData("slash")]
    [InlineData("space")]
    [InlineData("newline")]
    [InlineData("tab")]
    [InlineData("impossible-length")]
    [InlineData("non-ascii")]
    public void Malformed_base64url_segment_is_Malformed(string defect)
    {
        string[] parts = Jws.Segments(Jws.SignedRs256(Scenario.Claims()));
        string payload = parts[1];
        string broken = defect switch
        {
            "padding" => payload + "=",
            "plus" => "+" + payload[1..],
            "slash" => "/" + payload[1..],
            "space" => payload[..10] + " " + payload[10..],
            "newline" => payload + "\n",
            "tab" => "\t" + payload,
            "impossible-length" => payload + "A",
            "non-ascii" => "é" + payload[1..],
            _ => throw new ArgumentOutOfRangeException(nameof(defect)),
        };

        string token = parts[0] + "." + broken + "." + parts[2];

        Expect.Refused(scenario.Verify(token), TokenFailure.Malformed);
    }

    [Fact]
    public void Signature_with_non_canonical_trailing_bits_is_Malformed()
    {
        // A 2048-bit signature is 256 bytes: 342 characters whose last one carries 4 unused
        // bits. Setting one of them decodes to the same bytes, which a lenient decoder accepts
        // as the same valid signature under a different token text.
        string[] parts = Jws.Segments(Jws.SignedRs256(Scenario.Claims()));
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        string signature = parts[2];
        int lastIndex = alphabet.IndexOf(signature[^1], StringComparison.Ordinal);
        Assert.Equal(0, lastIndex % 16);
        string sameBytes = signature[..^1] + alphabet[lastIndex + 1];
        Assert.Equal(
            Convert.FromBase64String(ToPadded(signature)),
            Convert.FromBase64String(ToPadded(sameBytes))
        );

        Expect.Refused(
            scenario.Verify(parts[0] + "." + parts[1] + "." + sameBytes),
            TokenFailure.Malformed
        );
    }

    private static string ToPadded(string base64Url)
    {
        string standard = base64Url.Replace('-', '+').Replace('_', '/');
        return standard.PadRight(standard.Length + (4 - standard.Length % 4) % 4, '=');
    }
}
