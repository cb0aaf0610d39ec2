using System.Security.Cryptography;
using System.Text;
using Ledger.Domain.Connections;

namespace Ledger.Domain.Tests;

/// <summary>Activation is idempotent on connectionId; the token is kept only as a hash.</summary>
public sealed class ConnectionDecisionTests
{
    private const string NewPartnersConnectionId = "pconn_new";

    [Fact]
    public void Activating_a_new_connection_emits_ConnectionActivated()
    {
        ActivateConnection command = Samples.Activation();

        ActivationDecision decision = ConnectionDecisions.Activate(
            null,
            command,
            NewPartnersConnectionId
        );

        var activate = Assert.IsType<ActivationDecision.Activate>(decision);
        Assert.Equal(
            new ConnectionActivated(
                command.ConnectionId,
                command.ClientId,
                command.ClientWalletId,
                command.PartnerId,
                Samples.PartnersClientId,
                NewPartnersConnectionId,
                Sha256Hex(command.ConnectionToken)
            ),
            activate.Event
        );
    }

    [Fact]
    public void Activating_again_with_the_same_body_is_already_active_and_emits_nothing()
    {
        Connection existing = Samples.ActiveConnection();

        ActivationDecision decision = ConnectionDecisions.Activate(
            existing,
            Samples.Activation(),
            NewPartnersConnectionId
        );

        var already = Assert.IsType<ActivationDecision.AlreadyActive>(decision);
        Assert.Equal(existing, already.Connection);
    }

    [Theory]
    [InlineData("clientId")]
    [InlineData("clientWalletId")]
    [InlineData("partnerId")]
    [InlineData("connectionToken")]
    public void Activating_again_with_a_different_field_is_a_conflict_naming_it(string field)
    {
        ActivateConnection same = Samples.Activation();
        ActivateConnection command = field switch
        {
            "clientId" => same with { ClientId = Guid.NewGuid() },
            "clientWalletId" => same with { ClientWalletId = "wallet-other" },
            "partnerId" => same with { PartnerId = Guid.NewGuid() },
            "connectionToken" => same with { ConnectionToken = "tok_other" },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };

        ActivationDecision decision = ConnectionDecisions.Activate(
            Samples.ActiveConnection(),
            command,
            NewPartnersConnectionId
        );

        Assert.Equal(new ActivationDecision.Conflict(field), decision);
    }

    [Fact]
    public void Same_connection_token_always_maps_to_the_same_partnersClientId()
    {
        // Two different connections of one partner account: the token names the account.
        ActivateConnection first = Samples.Activation();
        ActivateConnection second = first with
        {
            ConnectionId = Guid.NewGuid(),
            ClientId = Guid.NewGuid(),
        };

        var a = Assert.IsType<ActivationDecision.Activate>(
            ConnectionDecisions.Activate(null, first, "pconn_a")
        );
        var b = Assert.IsType<ActivationDecision.Activate>(
            ConnectionDecisions.Activate(null, second, "pconn_b")
        );

        Assert.Equal(a.Event.PartnersClientId, b.Event.PartnersClientId);
    }

    [Fact]
    public void Different_connection_tokens_map_to_different_partnersClientIds()
    {
        Assert.NotEqual(
            ConnectionDecisions.PartnersClientIdFor("tok_a"),
            ConnectionDecisions.PartnersClientIdFor("tok_b")
        );
    }

    [Fact]
    public void Connection_token_never_appears_in_the_event_only_its_sha256()
    {
        ActivateConnection command = Samples.Activation();

        var activate = Assert.IsType<ActivationDecision.Activate>(
            ConnectionDecisions.Activate(null, command, NewPartnersConnectionId)
        );

        // Every member, not only the known ones, so a field added later is covered too.
        string[] values = typeof(ConnectionActivated)
            .GetProperties()
            .Select(p => p.GetValue(activate.Event)?.ToString() ?? "")
            .ToArray();
        Assert.DoesNotContain(
            values,
            v => v.Contains(command.ConnectionToken, StringComparison.Ordinal)
        );
        Assert.Equal(Sha256Hex(command.ConnectionToken), activate.Event.ConnectionTokenSha256);
    }

    [Fact]
    public void Deactivating_an_active_connection_emits_ConnectionDeactivated()
    {
        ConnectionDeactivated? e = ConnectionDecisions.Deactivate(
            Samples.ActiveConnection(),
            "closed by operator"
        );

        Assert.Equal(new ConnectionDeactivated(Samples.ConnectionId, "closed by operator"), e);
    }

    [Fact]
    public void Deactivating_an_inactive_connection_emits_nothing()
    {
        Assert.Null(ConnectionDecisions.Deactivate(Samples.InactiveConnection(), "again"));
    }

    [Fact]
    public void Connection_fold_of_activated_then_deactivated_is_inactive_at_version_2()
    {
        Connection connection = Samples.InactiveConnection();

        Assert.False(connection.IsActive);
        Assert.Equal(2, connection.Version);
    }

    private static string Sha256Hex(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
