using System.Text;

namespace Ledger.BitGoAuth.Tests;

/// <summary>Rule 2: strict JSON, alg exactly RS256, and no header that picks the key.</summary>
public sealed class Rule2HeaderTests
{
    private readonly Scenario scenario = new();

    [Fact]
    public void Alg_none_is_AlgorithmNotAllowed()
    {
        string[] parts = Jws.Segments(Jws.SignedRs256(Scenario.Claims()));
        string token = Jws.B64("""{"alg":"none"}""") + "." + parts[1] + "." + parts[2];

        Expect.Refused(scenario.Verify(token), TokenFailure.AlgorithmNotAllowed);
    }

    [Fact]
    public void Hs256_signed_with_the_public_key_pem_as_secret_is_AlgorithmNotAllowed()
    {
        // The classic confusion: a verifier that lets the header pick HMAC would use the
        // public key text, which everyone has, as the secret.
        byte[] secret = Encoding.ASCII.GetBytes(TestKey.Current.PublicPem);
        string token = Jws.SignedHs256(
            """{"alg":"HS256","typ":"JWT"}""",
            Scenario.Claims(),
            secret
        );

        Expect.Refused(scenario.Verify(token), TokenFailure.AlgorithmNotAllowed);
    }

    [Fact]
    public void Ps256_header_is_AlgorithmNotAllowed_even_with_a_valid_pss_signature()
    {
        string token = Jws.SignedPs256("""{"alg":"PS256","typ":"JWT"}""", Scenario.Claims());

        Expect.Refused(scenario.Verify(token), TokenFailure.AlgorithmNotAllowed);
    }

    [Theory]
    [InlineData("""{"alg":"RS512"}""")]
    [InlineData("""{"alg":"rs256"}""")]
    [InlineData("""{"alg":"RS256 "}""")]
    [InlineData("""{"alg":"ES256"}""")]
    [InlineData("""{"alg":"None"}""")]
    [InlineData("""{"alg":["RS256"]}""")]
    [InlineData("""{"alg":null}""")]
    [InlineData("""{"typ":"JWT"}""")]
    public void Alg_other_than_exactly_RS256_is_AlgorithmNotAllowed(string header)
    {
        string token = Jws.SignedRs256(header, Scenario.Claims());

        Expect.Refused(scenario.Verify(token), TokenFailure.AlgorithmNotAllowed);
    }

    [Fact]
    public void Header_without_typ_verifies()
    {
        string token = Jws.SignedRs256("""{"alg":"RS256"}""", Scenario.Claims());

        Expect.Valid(scenario.Verify(token));
    }

    [Theory]
    [InlineData("""{"alg":"RS256","typ":"JOSE"}""")]
    [InlineData("""{"alg":"RS256","typ":"jwt"}""")]
    [InlineData("""{"alg":"RS256","typ":1}""")]
    public void Typ_other_than_JWT_is_Malformed(string header)
    {
        Expect.Refused(
            scenario.Verify(Jws.SignedRs256(header, Scenario.Claims())),
            TokenFailure.Malformed
        );
    }

    [Fact]
    public void Crit_header_is_Malformed()
    {
        string token = Jws.SignedRs256(
            """{"alg":"RS256","crit":["b64"],"b64":false}""",
            Scenario.Claims()
        );

        Expect.Refused(scenario.Verify(token), TokenFailure.Malformed);
    }

    [Theory]
    [InlineData("jwk", """{"kty":"RSA","e":"AQAB","n":"AA"}""")]
    [InlineData("jku", "\"https://attacker.example/jwks.json\"")]
    [InlineData("x5u", "\"https://attacker.example/cert.pem\"")]
    [InlineData("x5c", "[\"MIIB\"]")]
    public void Jwk_header_and_other_embedded_key_headers_are_Malformed(string member, string value)
    {
        string header = $$"""{"alg":"RS256","{{member}}":{{value}}}""";

        Expect.Refused(
            scenario.Verify(Jws.SignedRs256(header, Scenario.Claims())),
            TokenFailure.Malformed
        );
    }

    [Theory]
    [InlineData("""{"alg":"RS256","alg":"RS256"}""")]
    [InlineData("""{"alg":"HS256","alg":"RS256"}""")]
    [InlineData("""{"alg":"RS256","\u0061lg":"RS256"}""")]
    public void Header_with_duplicate_alg_is_Malformed(string header)
    {
        Expect.Refused(
            scenario.Verify(Jws.SignedRs256(header, Scenario.Claims())),
            TokenFailure.Malformed
        );
    }

    [Fact]
    public void Payload_with_duplicate_claim_is_Malformed()
    {
        string payload = Scenario.Claims(
            $$"""
            "exp":{{Scenario.At(3600)}}
            """
        );

        Expect.Refused(scenario.Verify(Jws.SignedRs256(payload)), TokenFailure.Malformed);
    }

    [Fact]
    public void Duplicate_member_in_a_nested_object_is_Malformed()
    {
        string payload = Scenario.Claims(
            """
            "extra":{"a":1,"a":2}
            """
        );

        Expect.Refused(scenario.Verify(Jws.SignedRs256(payload)), TokenFailure.Malformed);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"claims\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("{\"jti\":\"a\",}")]
    [InlineData("{\"jti\":\"a\"}{}")]
    [InlineData("{/*c*/\"jti\":\"a\"}")]
    [InlineData("")]
    public void Payload_not_a_strict_json_object_is_Malformed(string payload)
    {
        // The empty payload makes an empty segment, which rule 1 already refuses.
        Expect.Refused(scenario.Verify(Jws.SignedRs256(payload)), TokenFailure.Malformed);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("RS256")]
    [InlineData("\uFEFF{\"alg\":\"RS256\"}")]
    public void Header_not_a_json_object_is_Malformed(string header)
    {
        Expect.Refused(
            scenario.Verify(Jws.SignedRs256(header, Scenario.Claims())),
            TokenFailure.Malformed
        );
    }

    [Fact]
    public void Header_that_is_not_utf8_is_Malformed()
    {
        byte[] header = [.. "{\"alg\":\"RS256\",\"x\":\""u8, 0xC3, 0x28, .. "\"}"u8];
        string[] parts = Jws.Segments(Jws.SignedRs256(Scenario.Claims()));

        string token = Jws.B64(header) + "." + parts[1] + "." + parts[2];

        Expect.Refused(scenario.Verify(token), TokenFailure.Malformed);
    }

    [Fact]
    public void Json_nested_deeper_than_the_limit_is_Malformed()
    {
        string nested = new string('[', 9) + new string(']', 9);
        string payload = Scenario.Claims(
            $$"""
            "deep":{{nested}}
            """
        );

        Expect.Refused(scenario.Verify(Jws.SignedRs256(payload)), TokenFailure.Malformed);
    }

    [Fact]
    public void Kid_that_is_not_a_string_is_Malformed()
    {
        string token = Jws.SignedRs256("""{"alg":"RS256","kid":7}""", Scenario.Claims());

        Expect.Refused(scenario.Verify(token), TokenFailure.Malformed);
    }

    [Fact]
    public void First_failing_rule_wins_over_later_ones()
    {
        // Wrong alg and long expired: the alg rule comes first.
        string payload = $$"""{"jti":"x","exp":{{Scenario.At(-3600)}}}""";
        string token = Jws.SignedRs256("""{"alg":"RS512"}""", payload);

        Expect.Refused(scenario.Verify(token), TokenFailure.AlgorithmNotAllowed);
    }
}
