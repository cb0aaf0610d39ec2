using System.Security.Cryptography;
using System.Text;
using Ledger.Api.Hosting;

namespace Ledger.Api.Security;

/// <summary>The query API's roles; each includes what the one before it may do.</summary>
public enum ApiRole
{
    Reader = 1,
    Auditor = 2,
    Operator = 3,
}

/// <summary>Endpoint metadata: the least role that may call the endpoint (default reader).</summary>
public sealed record RequiredRole(ApiRole Role);

public sealed record ApiKey(string Name, byte[] KeySha256, ApiRole Role);

/// <summary>
/// The query API's keys, from Auth:ApiKeys:&lt;name&gt;:Key and :Role. Keys are compared as
/// SHA-256 digests with a fixed-time comparison against every configured key, so neither the
/// match position nor a key's length shows in the timing.
/// </summary>
public sealed class ApiKeyRing
{
    public const int KeyLengthMin = 16;

    public const int KeyLengthMax = 256;

    private const string DevKeyFile = "api-key";

    private readonly IReadOnlyList<ApiKey> _keys;

    private ApiKeyRing(IReadOnlyList<ApiKey> keys)
    {
        _keys = keys;
    }

    public static ApiKeyRing Load(
        IConfiguration configuration,
        IHostEnvironment environment,
        ILogger logger
    )
    {
        var keys = new List<ApiKey>();
        foreach (
            IConfigurationSection entry in configuration.GetSection("Auth:ApiKeys").GetChildren()
        )
        {
            keys.Add(Parse(entry.Key, entry["Key"], entry["Role"]));
        }
        if (keys.Count == 0 && environment.IsDevelopment())
        {
            string path = Path.Combine(BitGoKeys.DevKeysPath(), DevKeyFile);
            keys.Add(Parse("dev", EnsureDevKey(path), "operator"));
            logger.LogWarning("No API key configured: the dev operator key is in {Path}", path);
        }
        return new ApiKeyRing(keys);
    }

    public ApiKey? Find(string presented)
    {
        byte[] digest = Digest(presented);
        ApiKey? match = null;
        foreach (ApiKey key in _keys)
        {
            // No early exit: every key is compared whatever the outcome.
            if (CryptographicOperations.FixedTimeEquals(digest, key.KeySha256))
            {
                match = key;
            }
        }
        return match;
    }

    private static ApiKey Parse(string name, string? key, string? role)
    {
        if (key is null || key.Length is < KeyLengthMin or > KeyLengthMax)
        {
            throw new InvalidOperationException(
                $"Auth:ApiKeys:{name}:Key must be {KeyLengthMin}-{KeyLengthMax} characters"
            );
        }
        if (!Enum.TryParse(role, ignoreCase: true, out ApiRole parsed) || !Enum.IsDefined(parsed))
        {
            throw new InvalidOperationException(
                $"Auth:ApiKeys:{name}:Role must be reader, auditor or operator"
            );
        }
        return new ApiKey(name, Digest(key), parsed);
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private static string EnsureDevKey(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Created owner-only from the first byte, never briefly readable by others.
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }
            using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
            writer.Write(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));
        }
        return File.ReadAllText(path).Trim();
    }
}

/// <summary>
/// Guards /api/v1: "Authorization: Bearer &lt;key&gt;". No or unknown key is 401; a key whose
/// role is below the endpoint's <see cref="RequiredRole"/> is 403.
/// </summary>
public sealed class ApiKeyFilter(ApiKeyRing keys, AuthFailureLimiter limiter) : IEndpointFilter
{
    /// <summary>The caller's role, for a handler whose answer depends on it.</summary>
    public const string RoleItemKey = "ledger.role";

    public static bool HasRole(HttpContext http, ApiRole role) =>
        http.Items[RoleItemKey] is ApiRole actual && actual >= role;

    public async ValueTask<object?> InvokeAsync(
        EndpointFilterInvocationContext context,
        EndpointFilterDelegate next
    )
    {
        HttpContext http = context.HttpContext;
        string address = AuthFailureLimiter.AddressOf(http);
        if (limiter.IsBlocked(address))
        {
            return BitGoSignatureFilter.TooManyFailures();
        }
        string? header = http.Request.Headers.Authorization;
        ApiKey? key =
            header is not null && header.StartsWith("Bearer ", StringComparison.Ordinal)
                ? keys.Find(header["Bearer ".Length..].Trim())
                : null;
        if (key is null)
        {
            limiter.RecordFailure(address);
            return Problems.Create(
                StatusCodes.Status401Unauthorized,
                "Unauthorized",
                "authorization: a valid 'Bearer <api key>' is required"
            );
        }
        ApiRole required =
            http.GetEndpoint()?.Metadata.GetMetadata<RequiredRole>()?.Role ?? ApiRole.Reader;
        if (key.Role < required)
        {
            return Problems.Create(
                StatusCodes.Status403Forbidden,
                "Forbidden",
                $"authorization: role {required.ToString().ToLowerInvariant()} is required"
            );
        }
        http.Items[RequestContext.ActorItemKey] =
            $"{key.Role.ToString().ToLowerInvariant()}:{key.Name}";
        http.Items[RoleItemKey] = key.Role;
        return await next(context);
    }
}

public static class RoleExtensions
{
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, ApiRole role)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new RequiredRole(role));
}
