using System.Text;

namespace Ledger.BitGoAuth.Tests;

/// <summary>Failure details are safe to log: they never repeat the token or its parts.</summary>
public sealed class DetailTests
{
    public static TheoryData<string> FailingTokens()
    {
        string valid = Jws.SignedRs256(Scenario.Claims());
        string[] parts = Jws.Segments(valid);
        string expired = $$"""{"jti":"secret-jti","exp":{{Scenario.At(-600)}}}""";
        return new TheoryData<string>
        {
            parts[0] + "." + parts[1],
            parts[0] + "." + parts[1] + "=." + parts[2],
            Jws.B64("""{"alg":"none"}""") + "." + parts[1] + "." + parts[2],
            Jws.SignedRs256("""{"alg":"RS256","kid":"secret-kid"}""", Scenario.Claims()),
            Jws.SignedRs256("""{"alg":"RS256","typ":"secret-typ"}""", Scenario.Claims()),
            parts[0] + "." + Jws.B64(Scenario.Claims() + " ") + "." + parts[2],
            Jws.SignedRs256(expired),
            Jws.SignedRs256($$"""{"jti":{"secret":1},"exp":{{Scenario.At(60)}}}"""),
            Jws.SignedRs256(Scenario.Claims("\"body_sha256\":\"secret-hash\"")),
            valid + new string('A', BitGoTokenVerifier.TokenLengthCharactersMax),
        };
    }

    [Theory]
    [MemberData(nameof(FailingTokens))]
    public void Detail_never_contains_the_token_or_its_segments(string token)
    {
        var scenario = new Scenario();

        TokenVerification result = scenario.Verifier.Verify(token, Encoding.UTF8.GetBytes("{}"));

        Assert.False(result.IsValid);
        string detail = result.Detail!;
        Assert.DoesNotContain(token, detail, StringComparison.Ordinal);
        foreach (string segment in token.Split('.').Where(segment => segment.Length >= 4))
        {
            Assert.DoesNotContain(segment, detail, StringComparison.Ordinal);
        }
        Assert.DoesNotContain("secret", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(Scenario.Jti, detail, StringComparison.Ordinal);
    }
}
