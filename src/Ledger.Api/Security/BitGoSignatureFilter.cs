using Ledger.Api.Hosting;
using Ledger.BitGoAuth;

namespace Ledger.Api.Security;

/// <summary>
/// Guards every /bitgo/v1 call: the X-BitGo-Signature token must verify (ADR 0008 lists the
/// checks, in order) and its jti must never have been seen. A failure is 401 naming the check,
/// never echoing the token, and no append is made. On routes marked
/// <see cref="JtiRecordedByWrite"/> the write records the jti in its own transaction (ADR 0012).
/// </summary>
public sealed class BitGoSignatureFilter(
    BitGoTokenVerifier verifier,
    JtiStore jtis,
    AuthFailureLimiter limiter
) : IEndpointFilter
{
    public const string Header = "X-BitGo-Signature";

    public async ValueTask<object?> InvokeAsync(
        EndpointFilterInvocationContext context,
        EndpointFilterDelegate next
    )
    {
        HttpContext http = context.HttpContext;
        string address = AuthFailureLimiter.AddressOf(http);
        if (limiter.IsBlocked(address))
        {
            return TooManyFailures();
        }
        var values = http.Request.Headers[Header];
        byte[]? body = await RawBody.ReadAsync(http.Request, http.RequestAborted);
        if (body is null)
        {
            return Problems.TooLarge();
        }
        TokenVerification verification = verifier.Verify(
            values.Count == 1 ? values[0] : null,
            body
        );
        if (verification.Token is not { } token)
        {
            limiter.RecordFailure(address);
            return Unauthorized($"{Header}: {Describe(verification)}");
        }
        http.Items[RequestContext.ActorItemKey] = "bitgo";
        http.Items[RequestContext.CausationItemKey] = "jti:" + token.Jti;
        var jti = new PendingJti(token.Jti, token.ExpiresAt);
        if (http.GetEndpoint()?.Metadata.GetMetadata<JtiRecordedByWrite>() is null)
        {
            // Recorded before the handler runs, so a replay never reaches it.
            return await jtis.TryRecordAsync(jti, http.RequestAborted)
                ? await next(context)
                : Replayed(address);
        }
        // The handler's write records the jti in its own transaction; a replay is refused
        // there, before anything is written, and one that wrote nothing is recorded here.
        jti.AttachTo(http);
        object? result;
        try
        {
            result = await next(context);
        }
        catch (JtiReplayedException)
        {
            return Replayed(address);
        }
        return jti.Recorded || await jtis.TryRecordAsync(jti, http.RequestAborted)
            ? result
            : Replayed(address);
    }

    private IResult Replayed(string address)
    {
        limiter.RecordFailure(address);
        return Unauthorized($"{Header}: jti already used; a replayed token is refused");
    }

    public static IResult TooManyFailures() =>
        Problems.Create(
            StatusCodes.Status429TooManyRequests,
            "Too many requests",
            "authentication: too many failures from this address; wait and retry"
        );

    private static IResult Unauthorized(string error) =>
        Problems.Create(StatusCodes.Status401Unauthorized, "Unauthorized", error);

    private static string Describe(TokenVerification verification) =>
        $"{verification.Failure switch
        {
            TokenFailure.Missing => "missing",
            TokenFailure.Malformed => "malformed",
            TokenFailure.AlgorithmNotAllowed => "algorithm not allowed",
            TokenFailure.UnknownKeyId => "unknown key id",
            TokenFailure.BadSignature => "signature does not verify",
            TokenFailure.MissingExpiry => "exp missing",
            TokenFailure.Expired => "expired",
            TokenFailure.NotYetValid => "not yet valid",
            TokenFailure.IssuedInFuture => "issued in the future",
            TokenFailure.LifetimeTooLong => "lifetime over 60 s",
            TokenFailure.MissingJti => "jti missing",
            TokenFailure.BodyHashMismatch => "body hash does not match",
            _ => "invalid",
        }} ({verification.Detail})";
}
