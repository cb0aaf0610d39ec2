using System.Text.Json;

namespace Ledger.BitGoAuth;

/// <summary>
/// Rules 4 to 6: the time claims, the lifetime and the jti. Times are RFC 7519 NumericDates
/// (seconds since the Unix epoch, possibly fractional). They are held as decimal, not double,
/// so that "exp - iat &lt;= 60" is exact at the boundary even for fractional values.
/// </summary>
internal static class ClaimRules
{
    // 9999-12-31T23:59:59Z: the last whole second a DateTimeOffset can hold.
    private const decimal NumericDateSecondsMax = 253_402_300_799m;
    private const decimal Skew = BitGoTokenVerifier.ClockSkewSeconds;
    private const decimal LifetimeSecondsMax = BitGoTokenVerifier.TokenLifetimeSecondsMax;

    public static Refusal? CheckTimes(JsonElement payload, decimal nowSeconds, out decimal exp)
    {
        exp = 0m;
        if (!payload.TryGetProperty("exp", out JsonElement expElement))
        {
            return new Refusal(TokenFailure.MissingExpiry, "exp is missing");
        }
        if (!TryReadNumericDate(expElement, out exp))
        {
            return new Refusal(TokenFailure.MissingExpiry, "exp must be a NumericDate");
        }
        // Skew is added on the side that makes the token live longer, once: a clock that is a
        // little behind BitGo's must not refuse a fresh token.
        if (nowSeconds >= exp + Skew)
        {
            return new Refusal(TokenFailure.Expired, "token has expired");
        }
        if (!TryReadOptionalDate(payload, "nbf", out decimal? notBefore))
        {
            return new Refusal(TokenFailure.Malformed, "nbf must be a NumericDate");
        }
        if (notBefore > nowSeconds + Skew)
        {
            return new Refusal(TokenFailure.NotYetValid, "token is not valid yet (nbf)");
        }
        if (!TryReadOptionalDate(payload, "iat", out decimal? issuedAt))
        {
            return new Refusal(TokenFailure.Malformed, "iat must be a NumericDate");
        }
        if (issuedAt > nowSeconds + Skew)
        {
            return new Refusal(TokenFailure.IssuedInFuture, "token is issued in the future (iat)");
        }
        return CheckLifetime(exp, notBefore, issuedAt, nowSeconds);
    }

    public static Refusal? CheckJti(JsonElement payload, out string jti)
    {
        jti = "";
        if (!payload.TryGetProperty("jti", out JsonElement element))
        {
            return new Refusal(TokenFailure.MissingJti, "jti is missing");
        }
        // Lengths count UTF-16 code units. Control characters are refused because the jti is
        // stored and logged by the caller, where a NUL or a newline does harm.
        if (
            !JoseJson.TryGetString(element, out string? text)
            || text.Length == 0
            || text.Length > BitGoTokenVerifier.JtiLengthCharactersMax
            || text.Any(char.IsControl)
        )
        {
            return new Refusal(
                TokenFailure.MissingJti,
                "jti must be a string of 1 to 128 printable characters"
            );
        }
        jti = text;
        return null;
    }

    public static DateTimeOffset ToDateTimeOffset(decimal numericDate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numericDate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(numericDate, NumericDateSecondsMax);
        long ticks = (long)decimal.Truncate(numericDate * TimeSpan.TicksPerSecond);
        return DateTimeOffset.UnixEpoch.AddTicks(ticks);
    }

    public static decimal ToNumericDate(DateTimeOffset instant)
    {
        return (decimal)(instant - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerSecond;
    }

    private static Refusal? CheckLifetime(
        decimal exp,
        decimal? notBefore,
        decimal? issuedAt,
        decimal nowSeconds
    )
    {
        // The lifetime is a property of the token, so when the token says when it starts the
        // bound is exact. Only when it says nothing is our own clock (and so the skew) used.
        decimal start = issuedAt ?? notBefore ?? nowSeconds;
        bool startFromClock = issuedAt is null && notBefore is null;
        decimal lifetimeAllowed = startFromClock ? LifetimeSecondsMax + Skew : LifetimeSecondsMax;
        if (exp - start > lifetimeAllowed)
        {
            return new Refusal(TokenFailure.LifetimeTooLong, "token lifetime exceeds 60 s");
        }
        return null;
    }

    private static bool TryReadOptionalDate(JsonElement payload, string name, out decimal? seconds)
    {
        seconds = null;
        if (!payload.TryGetProperty(name, out JsonElement element))
        {
            return true;
        }
        if (!TryReadNumericDate(element, out decimal value))
        {
            return false;
        }
        seconds = value;
        return true;
    }

    private static bool TryReadNumericDate(JsonElement element, out decimal seconds)
    {
        seconds = 0m;
        return element.ValueKind == JsonValueKind.Number
            && element.TryGetDecimal(out seconds)
            && seconds is >= 0m and <= NumericDateSecondsMax;
    }
}
