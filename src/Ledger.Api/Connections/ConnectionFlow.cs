using Ledger.Domain.Connections;
using Ledger.EventStore;

namespace Ledger.Api.Connections;

/// <summary>The connection stream's name and its view, ledger.connections.</summary>
public static class ConnectionFlow
{
    public const string StreamType = "connection";
}

public sealed class ConnectionProjection : IInlineProjection
{
    private const string InsertSql = """
        INSERT INTO ledger.connections (connection_id, client_id, client_wallet_id, partner_id,
            partners_client_id, partners_connection_id, active, version)
        VALUES ($1, $2, $3, $4, $5, $6, true, $7)
        """;

    private const string DeactivateSql = """
        UPDATE ledger.connections
        SET active = false, deactivation_reason = $2, version = $3, updated_at = now()
        WHERE connection_id = $1 AND version = $3 - 1
        """;

    public void Project(IReadOnlyList<PendingEvent> events, ProjectionBatch batch)
    {
        foreach (PendingEvent e in events)
        {
            switch (e.Data)
            {
                case ConnectionActivated a:
                    batch.Add(
                        InsertSql,
                        [
                            a.ConnectionId,
                            a.ClientId,
                            a.ClientWalletId,
                            a.PartnerId,
                            a.PartnersClientId,
                            a.PartnersConnectionId,
                            e.Version,
                        ],
                        expectedRows: 1,
                        invariant: "a connection row is created once"
                    );
                    break;
                case ConnectionDeactivated d:
                    batch.Add(
                        DeactivateSql,
                        [d.ConnectionId, d.Reason, e.Version],
                        expectedRows: 1,
                        invariant: "a connection row follows its stream version"
                    );
                    break;
            }
        }
    }
}
