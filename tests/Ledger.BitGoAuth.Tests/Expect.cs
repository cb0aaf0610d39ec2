namespace Ledger.BitGoAuth.Tests;

internal static class Expect
{
    public static void Refused(TokenVerification result, TokenFailure failure)
    {
        Assert.Null(result.Token);
        Assert.False(result.IsValid);
        Assert.Equal(failure, result.Failure);
        Assert.False(string.IsNullOrWhiteSpace(result.Detail));
    }

    public static VerifiedToken Valid(TokenVerification result)
    {
        Assert.True(
            result.IsValid,
            $"expected a valid token, got {result.Failure}: {result.Detail}"
        );
        Assert.Null(result.Failure);
        Assert.Null(result.Detail);
        return result.Token!;
    }
}
