using Ledger.Domain.Connections;
using Ledger.Domain.Holds;

namespace Ledger.Domain.Tests;

/// <summary>One client's active connection and a hold request that matches it.</summary>
internal static class Samples
{
    public const string ConnectionToken = "tok_2f7c9a1e-secret";
    public const string PartnersConnectionId = "pconn_0001";
    public const string ClientWalletId = "wallet-0001";
    public const string PartnerReference = "partner-ref-1";

    public static readonly Guid ClientId = Guid.Parse("11111111-1111-4111-8111-111111111111");
    public static readonly Guid ConnectionId = Guid.Parse("22222222-2222-4222-8222-222222222222");
    public static readonly Guid PartnerId = Guid.Parse("33333333-3333-4333-8333-333333333333");
    public static readonly Guid HoldId = Guid.Parse("44444444-4444-4444-8444-444444444444");

    public static string PartnersClientId =>
        ConnectionDecisions.PartnersClientIdFor(ConnectionToken);

    public static Quantity Q(string digits) => Quantity.Parse(digits);

    public static Amount Btc(string digits) => new(Currency.Parse("btc"), Q(digits));

    public static ConnectionActivated Activated() =>
        new(
            ConnectionId,
            ClientId,
            ClientWalletId,
            PartnerId,
            PartnersClientId,
            PartnersConnectionId,
            ConnectionDecisions.TokenSha256(ConnectionToken)
        );

    public static Connection ActiveConnection() => Connection.Create(Activated());

    public static Connection InactiveConnection() =>
        Connection.Fold([
            Activated(),
            new ConnectionDeactivated(ConnectionId, "closed by operator"),
        ])!;

    public static ActivateConnection Activation() =>
        new(ConnectionId, ClientId, ClientWalletId, PartnerId, ConnectionToken);

    public static HoldRequest Request(string quantity = "10") =>
        new(HoldId, ClientId, ConnectionId, PartnersConnectionId, PartnersClientId, Btc(quantity));
}
