namespace Ledger.BitGoSim.Connections;

/// <summary>
/// An enterprise is one BitGo client: it has one clientId and one Go Network wallet, made on
/// its first connection.
/// </summary>
public sealed record EnterpriseRecord(string Id, Guid ClientId, string ClientWalletId);

/// <summary>
/// What BitGo knows of a connection now. It is active once the partner confirmed it and
/// named its own ids; until then it is pending and unknown to transfers (404).
/// </summary>
public sealed record ConnectionState(
    bool Active,
    string? PartnersClientId,
    string? PartnersConnectionId,
    string? LastError,
    DateTimeOffset UpdatedAt
);

/// <summary>
/// One client connection to the partner. Its id is chosen by BitGo once and sent on every
/// retry, so the partner's idempotency on connectionId makes a retried activation safe.
/// </summary>
public sealed class ConnectionRecord(
    Guid id,
    EnterpriseRecord enterprise,
    Guid partnerId,
    string connectionToken,
    DateTimeOffset createdAt
)
{
    private ConnectionState state = new(false, null, null, null, createdAt);

    public Guid Id { get; } = id;

    public EnterpriseRecord Enterprise { get; } = enterprise;

    public Guid PartnerId { get; } = partnerId;

    public string ConnectionToken { get; } = connectionToken;

    public DateTimeOffset CreatedAt { get; } = createdAt;

    public SemaphoreSlim Gate { get; } = new(1, 1);

    public ConnectionState State
    {
        get => Volatile.Read(ref state);
        set => Volatile.Write(ref state, value ?? throw new ArgumentNullException(nameof(value)));
    }
}
