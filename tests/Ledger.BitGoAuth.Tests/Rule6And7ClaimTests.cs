using System.Security.Cryptography;
using System.Text;

namespace Ledger.BitGoAuth.Tests;

/// <summary>Rule 6 (jti) and rule 7 (body_sha256 binds the request body).</summary>
public sealed class Rule6And7ClaimTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"allocationId":"0b7a","amount":{"currency":"btc","quantity":"100000000"}}"""
    );

    private readonly Scenario scenario = new();

    private static string ClaimsWithJti(string jtiJson)
    {
        return $$"""{"jti":{{jtiJson}},"iat":{{Scenario.At(0)}},"exp":{{Scenario.At(60)}}}""";
    }

    private static string ClaimsWithBodyHash(string bodyHashJson)
    {
        return Scenario.Claims(
            $$"""
            "body_sha256":{{bodyHashJson}}
            """
        );
    }

    [Fact]
    public void Missing_jti_is_MissingJti()
    {
        string claims = $$"""{"iat":{{Scenario.At(0)}},"exp":{{Scenario.At(60)}}}""";

        Expect.Refused(scenario.Verify(Jws.SignedRs256(claims)), TokenFailure.MissingJti);
    }

    [Theory]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("{\"id\":\"a\"}")]
    [InlineData("[\"a\"]")]
    public void Jti_not_a_string_is_MissingJti(string jtiJson)
    {
        Expect.Refused(
            scenario.Verify(Jws.SignedRs256(ClaimsWithJti(jtiJson))),
            TokenFailure.MissingJti
        );
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"a\\u0000b\"")]
    [InlineData("\"a\\nb\"")]
    [InlineData("\"\\ud800\"")]
    public void Jti_empty_with_control_characters_or_a_lone_surrogate_is_MissingJti(string jtiJson)
    {
        Expect.Refused(
            scenario.Verify(Jws.SignedRs256(ClaimsWithJti(jtiJson))),
            TokenFailure.MissingJti
        );
    }

    [Theory]
    [InlineData(128, true)]
    [InlineData(129, false)]
    public void Jti_of_at_most_128_characters_is_accepted(int length, bool valid)
    {
        string jti = new('j', length);

        TokenVerification result = scenario.Verify(Jws.SignedRs256(ClaimsWithJti($"\"{jti}\"")));

        if (valid)
        {
            Assert.Equal(jti, Expect.Valid(result).Jti);
        }
        else
        {
            Expect.Refused(result, TokenFailure.MissingJti);
        }
    }

    [Theory]
    [InlineData("lower-hex")]
    [InlineData("upper-hex")]
    [InlineData("base64url")]
    public void Matching_body_hash_is_accepted_as_hex_or_base64url(string encoding)
    {
        byte[] digest = SHA256.HashData(Body);
        string claim = encoding switch
        {
            "lower-hex" => Convert.ToHexStringLower(digest),
            "upper-hex" => Convert.ToHexString(digest),
            "base64url" => Jws.B64(digest),
            _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
        };

        string token = Jws.SignedRs256(ClaimsWithBodyHash($"\"{claim}\""));

        Expect.Valid(scenario.Verifier.Verify(token, Body));
    }

    [Fact]
    public void Body_hash_mismatch_is_BodyHashMismatch()
    {
        string claim = Convert.ToHexStringLower(SHA256.HashData(Body));
        byte[] otherBody = [.. Body, (byte)' '];

        string token = Jws.SignedRs256(ClaimsWithBodyHash($"\"{claim}\""));

        Expect.Refused(scenario.Verifier.Verify(token, otherBody), TokenFailure.BodyHashMismatch);
        Expect.Refused(scenario.Verifier.Verify(token, []), TokenFailure.BodyHashMismatch);
    }

    [Theory]
    [InlineData("padded-base64")]
    [InlineData("standard-base64")]
    [InlineData("hex-with-space")]
    [InlineData("short-hex")]
    [InlineData("not-a-string")]
    public void Body_hash_in_another_form_is_BodyHashMismatch(string form)
    {
        byte[] digest = SHA256.HashData(Body);
        string hex = Convert.ToHexStringLower(digest);
        string claimJson = form switch
        {
            "padded-base64" => $"\"{Jws.B64(digest)}=\"",
            "standard-base64" => $"\"{Convert.ToBase64String(digest)}\"",
            "hex-with-space" => $"\"{hex[..63]} \"",
            "short-hex" => $"\"{hex[..62]}\"",
            "not-a-string" => "[]",
            _ => throw new ArgumentOutOfRangeException(nameof(form)),
        };

        string token = Jws.SignedRs256(ClaimsWithBodyHash(claimJson));

        Expect.Refused(scenario.Verifier.Verify(token, Body), TokenFailure.BodyHashMismatch);
    }

    [Fact]
    public void Token_without_body_hash_accepts_any_body()
    {
        string token = Jws.SignedRs256(Scenario.Claims());

        Expect.Valid(scenario.Verifier.Verify(token, Body));
    }

    [Fact]
    public void Unknown_claims_are_ignored()
    {
        string claims = Scenario.Claims(
            """
            "iss":"bitgo","aud":["someone-else"],"sub":42
            """
        );

        Expect.Valid(scenario.Verify(Jws.SignedRs256(claims)));
    }
}
