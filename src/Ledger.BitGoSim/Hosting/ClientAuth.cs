using System.Security.Cryptography;
using System.Text;

namespace Ledger.BitGoSim.Hosting;

/// <summary>
/// Seed 000's 401, "caller is not a member of the enterprise": each enterprise has one bearer
/// token (Sim:ClientTokens:&lt;enterpriseId&gt;). No token, or another enterprise's, is 401.
/// Tokens are compared as SHA-256 digests in fixed time, so timing reveals nothing.
/// </summary>
public sealed class ClientAuthFilter(SimOptions options) : IEndpointFilter
{
    private const string BearerPrefix = "Bearer ";

    private readonly Dictionary<string, byte[]> digests = options.ClientTokens.ToDictionary(
        entry => entry.Key,
        entry => Digest(entry.Value),
        StringComparer.Ordinal
    );

    public async ValueTask<object?> InvokeAsync(
        EndpointFilterInvocationContext context,
        EndpointFilterDelegate next
    )
    {
        HttpContext http = context.HttpContext;
        string? enterpriseId = http.Request.RouteValues["enterpriseId"] as string;
        string? header = http.Request.Headers.Authorization;
        bool member =
            enterpriseId is not null
            && header is not null
            && header.StartsWith(BearerPrefix, StringComparison.Ordinal)
            && digests.TryGetValue(enterpriseId, out byte[]? expected)
            && CryptographicOperations.FixedTimeEquals(
                Digest(header[BearerPrefix.Length..].Trim()),
                expected
            );
        if (!member)
        {
            return SimJson.Error(
                StatusCodes.Status401Unauthorized,
                "authorization: caller is not a member of the enterprise"
            );
        }
        return await next(context);
    }

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
