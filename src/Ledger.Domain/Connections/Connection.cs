using System.Security.Cryptography;
using System.Text;

namespace Ledger.Domain.Connections;

/// <summary>BitGo activated a client's connection to this partner.</summary>
public sealed record ConnectionActivated(
    Guid ConnectionId,
    Guid ClientId,
    string ClientWalletId,
    Guid PartnerId,
    string PartnersClientId,
    string PartnersConnectionId,
    string ConnectionTokenSha256
);

/// <summary>An operator closed the connection: new holds on it are refused.</summary>
public sealed record ConnectionDeactivated(Guid ConnectionId, string Reason);

/// <summary>The connection aggregate, after Marten's Create/Apply conventions.</summary>
public sealed record Connection(
    Guid Id,
    Guid ClientId,
    string ClientWalletId,
    Guid PartnerId,
    string PartnersClientId,
    string PartnersConnectionId,
    string ConnectionTokenSha256,
    bool IsActive,
    int Version
)
{
    public static Connection Create(ConnectionActivated e) =>
        new(
            e.ConnectionId,
            e.ClientId,
            e.ClientWalletId,
            e.PartnerId,
            e.PartnersClientId,
            e.PartnersConnectionId,
            e.ConnectionTokenSha256,
            IsActive: true,
            Version: 1
        );

    public Connection Apply(ConnectionDeactivated e) =>
        this with
        {
            IsActive = false,
            Version = Version + 1,
        };

    /// <summary>Replays a stream; an event out of place is corrupted data and throws.</summary>
    public static Connection? Fold(IEnumerable<object> events)
    {
        Connection? state = null;
        foreach (object e in events)
        {
            state = (state, e) switch
            {
                (null, ConnectionActivated activated) => Create(activated),
                ({ } s, ConnectionDeactivated deactivated) => s.Apply(deactivated),
                _ => throw new InvariantViolationException(
                    $"{e.GetType().Name} cannot follow version {state?.Version ?? 0} of a connection"
                ),
            };
        }
        return state;
    }
}

/// <summary>BitGo's activation call, validated at the edge.</summary>
public sealed record ActivateConnection(
    Guid ConnectionId,
    Guid ClientId,
    string ClientWalletId,
    Guid PartnerId,
    string ConnectionToken
);

public abstract record ActivationDecision
{
    private ActivationDecision() { }

    public sealed record Activate(ConnectionActivated Event) : ActivationDecision;

    public sealed record AlreadyActive(Connection Connection) : ActivationDecision;

    public sealed record Conflict(string Field) : ActivationDecision;
}

public static class ConnectionDecisions
{
    /// <summary>
    /// The partner recognises its own account by the connection token (ADR 0007): the same
    /// token always maps to the same partnersClientId, and only its hash is ever stored.
    /// </summary>
    public static string PartnersClientIdFor(string connectionToken) =>
        "pc_" + Convert.ToHexStringLower(TokenHash(connectionToken))[..32];

    public static string TokenSha256(string connectionToken) =>
        Convert.ToHexStringLower(TokenHash(connectionToken));

    /// <summary>Idempotent on connectionId: a retry returns the existing connection.</summary>
    public static ActivationDecision Activate(
        Connection? existing,
        ActivateConnection command,
        string newPartnersConnectionId
    )
    {
        if (existing is null)
        {
            return new ActivationDecision.Activate(
                new ConnectionActivated(
                    command.ConnectionId,
                    command.ClientId,
                    command.ClientWalletId,
                    command.PartnerId,
                    PartnersClientIdFor(command.ConnectionToken),
                    newPartnersConnectionId,
                    TokenSha256(command.ConnectionToken)
                )
            );
        }
        string? field = FirstDifference(existing, command);
        return field is null
            ? new ActivationDecision.AlreadyActive(existing)
            : new ActivationDecision.Conflict(field);
    }

    /// <summary>
    /// Closes a connection to new holds; holds already open on it still clear or release.
    /// Null when it is already inactive, so a repeat changes nothing.
    /// </summary>
    public static ConnectionDeactivated? Deactivate(Connection existing, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return existing.IsActive ? new ConnectionDeactivated(existing.Id, reason) : null;
    }

    private static string? FirstDifference(Connection existing, ActivateConnection command)
    {
        if (existing.ClientId != command.ClientId)
        {
            return "clientId";
        }
        if (
            !string.Equals(
                existing.ClientWalletId,
                command.ClientWalletId,
                StringComparison.Ordinal
            )
        )
        {
            return "clientWalletId";
        }
        if (existing.PartnerId != command.PartnerId)
        {
            return "partnerId";
        }
        return string.Equals(
            existing.ConnectionTokenSha256,
            TokenSha256(command.ConnectionToken),
            StringComparison.Ordinal
        )
            ? null
            : "connectionToken";
    }

    private static byte[] TokenHash(string connectionToken) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(connectionToken));
}
