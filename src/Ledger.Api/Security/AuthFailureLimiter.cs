using System.Threading.RateLimiting;

namespace Ledger.Api.Security;

/// <summary>
/// Counts authentication failures per client address with the framework's own rate limiter
/// (System.Threading.RateLimiting, what ASP.NET Core's rate-limiting middleware runs on). Only
/// failures take permits, so a well-behaved caller is never throttled; an address that fails
/// too often in a window gets 429 until the window ends.
/// </summary>
public sealed class AuthFailureLimiter : IDisposable
{
    public const int FailuresPerWindowDefault = 30;

    public const int WindowSecondsDefault = 60;

    private readonly PartitionedRateLimiter<string> _limiter;

    public AuthFailureLimiter(IConfiguration configuration)
    {
        int failuresMax = configuration.GetValue(
            "Auth:FailuresPerWindowMax",
            FailuresPerWindowDefault
        );
        int windowSeconds = configuration.GetValue(
            "Auth:FailureWindowSeconds",
            WindowSecondsDefault
        );
        ArgumentOutOfRangeException.ThrowIfLessThan(failuresMax, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(windowSeconds, 1);
        _limiter = PartitionedRateLimiter.Create<string, string>(address =>
            RateLimitPartition.GetFixedWindowLimiter(
                address,
                _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = failuresMax,
                    Window = TimeSpan.FromSeconds(windowSeconds),
                    QueueLimit = 0,
                }
            )
        );
    }

    public static string AddressOf(HttpContext http) =>
        http.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    public bool IsBlocked(string address) =>
        _limiter.GetStatistics(address)?.CurrentAvailablePermits == 0;

    public void RecordFailure(string address)
    {
        using RateLimitLease lease = _limiter.AttemptAcquire(address);
    }

    public void Dispose() => _limiter.Dispose();
}
