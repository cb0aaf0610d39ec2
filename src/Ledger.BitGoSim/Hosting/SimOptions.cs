namespace Ledger.BitGoSim.Hosting;

/// <summary>
/// What the simulator is told at startup, read once from the "Sim" configuration section:
/// where the partner ledger listens, BitGo's private key, the partner's id at BitGo, one
/// bearer token per enterprise, and the faults to inject.
/// </summary>
public sealed record SimOptions(
    Uri PartnerBaseUrl,
    string PrivateKeyPem,
    Guid PartnerId,
    IReadOnlyDictionary<string, string> ClientTokens,
    SimFaults Faults
)
{
    public const string Section = "Sim";

    /// <summary>
    /// The partner's id at BitGo when none is configured; any fixed UUID will do.
    /// </summary>
    public static readonly Guid DefaultPartnerId = Guid.Parse(
        "5eed0000-b170-4000-8000-000000000001"
    );

    public static SimOptions From(IConfiguration configuration)
    {
        IConfigurationSection sim = configuration.GetSection(Section);
        string baseUrl =
            sim["PartnerBaseUrl"]
            ?? throw Missing(
                "PartnerBaseUrl",
                "the partner ledger's base URL, e.g. http://127.0.0.1:5080"
            );
        if (
            !Uri.TryCreate(baseUrl, UriKind.Absolute, out Uri? partner)
            || partner.Scheme is not ("http" or "https")
        )
        {
            throw new InvalidOperationException(
                "Sim:PartnerBaseUrl must be an absolute http(s) URL"
            );
        }
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (IConfigurationSection entry in sim.GetSection("ClientTokens").GetChildren())
        {
            tokens.Add(entry.Key, ClientToken(entry.Key, entry.Value));
        }
        string? partnerId = sim["PartnerId"];
        return new SimOptions(
            partner,
            PrivateKey(sim),
            partnerId is null ? DefaultPartnerId : Guid.Parse(partnerId),
            tokens,
            SimFaults.From(sim.GetSection("Faults"))
        );
    }

    private static string PrivateKey(IConfigurationSection sim)
    {
        string? inline = sim["PrivateKeyPem"];
        string? path = sim["PrivateKeyPemPath"];
        if (!string.IsNullOrWhiteSpace(inline))
        {
            return inline;
        }
        return !string.IsNullOrWhiteSpace(path)
            ? File.ReadAllText(path)
            : throw Missing(
                "PrivateKeyPem or Sim:PrivateKeyPemPath",
                "BitGo's RSA private key (PEM)"
            );
    }

    private static string ClientToken(string enterpriseId, string? token)
    {
        if (!SimLimits.IsEnterpriseId(enterpriseId))
        {
            throw new InvalidOperationException(
                $"Sim:ClientTokens: '{enterpriseId}' is not an enterprise id ([A-Za-z0-9_-], "
                    + $"1-{SimLimits.EnterpriseIdLengthMax} characters)"
            );
        }
        return token is { Length: >= SimLimits.ClientTokenLengthMin }
            ? token
            : throw new InvalidOperationException(
                $"Sim:ClientTokens:{enterpriseId} must have at least "
                    + $"{SimLimits.ClientTokenLengthMin} characters"
            );
    }

    private static InvalidOperationException Missing(string key, string what) =>
        new($"Sim:{key} is not configured: {what}");
}

/// <summary>
/// Faults to rehearse with. Each is off by default; tests and the demo switch them at run time
/// through <see cref="Partner.FaultSwitch"/>.
/// </summary>
/// <param name="DropResponses">How many of the partner's next answers to throw away after the
/// partner sent them, as a lost response would. A count, not a flag, so that a retry can
/// succeed.</param>
/// <param name="DuplicateWebhooks">Send every call to the partner twice, with fresh tokens.</param>
/// <param name="ClearDelayMilliseconds">Wait this long between the reserve and the clear.</param>
/// <param name="ReleaseInsteadOfClear">Release each reserved hold instead of clearing it.</param>
public sealed record SimFaults(
    int DropResponses = 0,
    bool DuplicateWebhooks = false,
    int ClearDelayMilliseconds = 0,
    bool ReleaseInsteadOfClear = false
)
{
    public const int DropResponsesMax = 1_000;

    /// <summary>Longer than any partner call's timeout, shorter than a test run.</summary>
    public const int ClearDelayMillisecondsMax = 30_000;

    public static SimFaults None { get; } = new();

    public static SimFaults From(IConfiguration faults)
    {
        var parsed = new SimFaults(
            faults.GetValue(nameof(DropResponses), 0),
            faults.GetValue(nameof(DuplicateWebhooks), false),
            faults.GetValue(nameof(ClearDelayMilliseconds), 0),
            faults.GetValue(nameof(ReleaseInsteadOfClear), false)
        );
        parsed.Validate();
        return parsed;
    }

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(DropResponses);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DropResponses, DropResponsesMax);
        ArgumentOutOfRangeException.ThrowIfNegative(ClearDelayMilliseconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(
            ClearDelayMilliseconds,
            ClearDelayMillisecondsMax
        );
    }
}
