namespace Ledger.BitGoAuth.Tests;

/// <summary>Rules 4 and 5: exp, nbf and iat against the clock, and the 60 s lifetime.</summary>
public sealed class Rule4And5TimeTests
{
    private readonly Scenario scenario = new();

    private TokenVerification VerifyClaims(string claimsJson)
    {
        return scenario.Verify(Jws.SignedRs256(claimsJson));
    }

    [Fact]
    public void Missing_exp_is_MissingExpiry()
    {
        string claims = $$"""{"jti":"a","iat":{{Scenario.At(0)}}}""";

        Expect.Refused(VerifyClaims(claims), TokenFailure.MissingExpiry);
    }

    [Theory]
    [InlineData("\"1767225660\"")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("[1767225660]")]
    [InlineData("-1")]
    [InlineData("1e400")]
    [InlineData("253402300800")]
    public void Exp_that_is_not_a_NumericDate_is_MissingExpiry(string exp)
    {
        string claims = $$"""{"jti":"a","exp":{{exp}}}""";

        Expect.Refused(VerifyClaims(claims), TokenFailure.MissingExpiry);
    }

    [Theory]
    [InlineData(-5, false)]
    [InlineData(-10, false)]
    [InlineData(-4.999, true)]
    [InlineData(-4, true)]
    public void Expired_token_is_Expired_with_five_seconds_of_skew(double expOffset, bool valid)
    {
        string claims = $$"""{"jti":"a","exp":{{Scenario.At((decimal)expOffset)}}}""";

        TokenVerification result = VerifyClaims(claims);

        AssertOutcome(result, valid, TokenFailure.Expired);
    }

    [Fact]
    public void Token_expires_when_the_clock_moves_past_exp_plus_skew()
    {
        string token = Jws.SignedRs256(Scenario.Claims());
        Expect.Valid(scenario.Verify(token));

        scenario.Clock.Advance(TimeSpan.FromSeconds(64));
        Expect.Valid(scenario.Verify(token));
        scenario.Clock.Advance(TimeSpan.FromSeconds(1));
        Expect.Refused(scenario.Verify(token), TokenFailure.Expired);
    }

    [Theory]
    [InlineData(6, false)]
    [InlineData(5.001, false)]
    [InlineData(5, true)]
    public void Nbf_in_the_future_is_NotYetValid(double nbfOffset, bool valid)
    {
        string claims = $$"""
            {"jti":"a","nbf":{{Scenario.At((decimal)nbfOffset)}},"exp":{{Scenario.At(60)}}}
            """;

        AssertOutcome(VerifyClaims(claims), valid, TokenFailure.NotYetValid);
    }

    [Theory]
    [InlineData(6, false)]
    [InlineData(5, true)]
    public void Iat_in_the_future_is_IssuedInFuture(int iatOffset, bool valid)
    {
        string claims = $$"""
            {"jti":"a","iat":{{Scenario.At(iatOffset)}},"exp":{{Scenario.At(iatOffset + 60)}}}
            """;

        AssertOutcome(VerifyClaims(claims), valid, TokenFailure.IssuedInFuture);
    }

    [Theory]
    [InlineData("nbf", "\"1767225600\"")]
    [InlineData("iat", "\"1767225600\"")]
    [InlineData("iat", "null")]
    [InlineData("nbf", "{}")]
    public void Nbf_or_iat_that_is_not_a_NumericDate_is_Malformed(string claim, string value)
    {
        string claims = $$"""{"jti":"a","{{claim}}":{{value}},"exp":{{Scenario.At(60)}}}""";

        Expect.Refused(VerifyClaims(claims), TokenFailure.Malformed);
    }

    [Theory]
    [InlineData(61, false)]
    [InlineData(60.001, false)]
    [InlineData(60, true)]
    [InlineData(1, true)]
    public void Lifetime_61_s_is_LifetimeTooLong_and_60_s_is_accepted(double lifetime, bool valid)
    {
        string claims = $$"""
            {"jti":"a","iat":{{Scenario.At(-1)}},"exp":{{Scenario.At(-1 + (decimal)lifetime)}}}
            """;

        AssertOutcome(VerifyClaims(claims), valid, TokenFailure.LifetimeTooLong);
    }

    [Fact]
    public void Lifetime_bound_is_exact_for_fractional_times()
    {
        // 1767225600.1 and 1767225660.1 differ by exactly 60, which double arithmetic gets
        // wrong by a few hundred nanoseconds.
        string iat = Scenario.At(0.1m);
        string accepted = $$"""{"jti":"a","iat":{{iat}},"exp":{{Scenario.At(60.1m)}}}""";
        string refused = $$"""{"jti":"a","iat":{{iat}},"exp":{{Scenario.At(60.1000001m)}}}""";

        VerifiedToken verified = Expect.Valid(VerifyClaims(accepted));
        Assert.Equal(
            DateTimeOffset.FromUnixTimeMilliseconds((Scenario.NowSeconds + 60) * 1000 + 100),
            verified.ExpiresAt
        );
        Expect.Refused(VerifyClaims(refused), TokenFailure.LifetimeTooLong);
    }

    [Theory]
    [InlineData(61, false)]
    [InlineData(60, true)]
    public void Lifetime_is_measured_from_nbf_when_there_is_no_iat(int lifetime, bool valid)
    {
        string claims = $$"""
            {"jti":"a","nbf":{{Scenario.At(-2)}},"exp":{{Scenario.At(-2 + lifetime)}}}
            """;

        AssertOutcome(VerifyClaims(claims), valid, TokenFailure.LifetimeTooLong);
    }

    [Theory]
    [InlineData(65.001, false)]
    [InlineData(65, true)]
    public void Lifetime_is_measured_from_now_plus_skew_without_iat_or_nbf(
        double expOffset,
        bool valid
    )
    {
        string claims = $$"""{"jti":"a","exp":{{Scenario.At((decimal)expOffset)}}}""";

        AssertOutcome(VerifyClaims(claims), valid, TokenFailure.LifetimeTooLong);
    }

    [Fact]
    public void Exp_in_exponent_notation_is_a_NumericDate()
    {
        string claims = $$"""{"jti":"a","iat":1.7672256E9,"exp":1.76722566e9}""";

        Expect.Valid(VerifyClaims(claims));
    }

    private static void AssertOutcome(TokenVerification result, bool valid, TokenFailure failure)
    {
        if (valid)
        {
            Expect.Valid(result);
        }
        else
        {
            Expect.Refused(result, failure);
        }
    }
}
