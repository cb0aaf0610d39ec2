using System.Text.Json;
using System.Text.Json.Nodes;
using Ledger.BitGoSim.Hosting;
using Ledger.BitGoSim.Partner;

namespace Ledger.BitGoSim.Connections;

/// <summary>A connection as the simulator answers it: BitGo's ids and the partner's.</summary>
public sealed record ConnectionView(
    Guid Id,
    Guid ClientId,
    Guid PartnerId,
    string ClientWalletId,
    string? PartnersClientId,
    string? PartnersConnectionId,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt
)
{
    public static ConnectionView Of(ConnectionRecord c, ConnectionState s) =>
        new(
            c.Id,
            c.Enterprise.ClientId,
            c.PartnerId,
            c.Enterprise.ClientWalletId,
            s.PartnersClientId,
            s.PartnersConnectionId,
            s.Active ? "active" : "pending",
            c.CreatedAt,
            s.UpdatedAt
        );
}

/// <summary>
/// POST /api/network/v1/enterprises/{enterpriseId}/clients/connections, body {connectionToken}:
/// BitGo activates the client's connection at the partner (POST /bitgo/v1/connections). BitGo
/// publishes no client-facing shape for this, so the simulator's is its own. Idempotent on
/// the token: a retry re-sends the same connectionId until the partner confirms it.
/// </summary>
public sealed class ConnectionEndpoint(
    SimStore store,
    SimOptions options,
    PartnerClient partner,
    TimeProvider time,
    IHostApplicationLifetime lifetime
)
{
    public static RouteGroupBuilder Map(RouteGroupBuilder enterprise)
    {
        enterprise.MapPost(
            "/clients/connections",
            (string enterpriseId, HttpContext http, ConnectionEndpoint endpoint) =>
                endpoint.HandleAsync(enterpriseId, http)
        );
        return enterprise;
    }

    public async Task<IResult> HandleAsync(string enterpriseId, HttpContext http)
    {
        var (root, error) = await SimJson.ReadObjectAsync(http.Request, http.RequestAborted);
        string? token =
            error is null
            && root.TryGetProperty("connectionToken", out JsonElement value)
            && value.ValueKind == JsonValueKind.String
                ? value.GetString()
                : null;
        if (token is not { Length: > 0 and <= SimLimits.ConnectionTokenLengthMax })
        {
            return SimJson.Error(
                StatusCodes.Status400BadRequest,
                error
                    ?? "connectionToken: required, a string of 1-"
                        + $"{SimLimits.ConnectionTokenLengthMax} characters"
            );
        }
        ConnectionRecord? connection = store.ConnectionFor(enterpriseId, token, options.PartnerId);
        if (connection is null)
        {
            return SimJson.Error(
                StatusCodes.Status503ServiceUnavailable,
                $"simulator: {SimLimits.ConnectionsMax} connections are in memory; restart it"
            );
        }
        PartnerReply? reply = await ActivateAsync(connection, lifetime.ApplicationStopping);
        ConnectionState state = connection.State;
        ConnectionView view = ConnectionView.Of(connection, state);
        return state.Active
            ? SimJson.Wrapped(StatusCodes.Status200OK, "connection", view, null)
            : SimJson.Wrapped(
                reply?.Status is >= 400 and < 500
                    ? StatusCodes.Status422UnprocessableEntity
                    : StatusCodes.Status500InternalServerError,
                "connection",
                view,
                state.LastError
            );
    }

    /// <summary>
    /// Calls the partner unless the connection is already active; null if not called.
    /// </summary>
    private async Task<PartnerReply?> ActivateAsync(
        ConnectionRecord connection,
        CancellationToken cancellationToken
    )
    {
        await connection.Gate.WaitAsync(cancellationToken);
        try
        {
            if (connection.State.Active)
            {
                return null;
            }
            PartnerReply reply = await partner.SendAsync(
                HttpMethod.Post,
                "/bitgo/v1/connections",
                ActivationBody(connection),
                connection.Id.ToString(),
                cancellationToken
            );
            string? partnersClientId = Text(reply, "partnersClientId");
            string? partnersConnectionId = Text(reply, "partnersConnectionId");
            bool confirmed = partnersClientId is not null && partnersConnectionId is not null;
            connection.State = connection.State with
            {
                Active = confirmed,
                PartnersClientId = partnersClientId,
                PartnersConnectionId = partnersConnectionId,
                LastError = confirmed ? null : $"connection not activated: {reply.Describe()}",
                UpdatedAt = time.GetUtcNow(),
            };
            return reply;
        }
        finally
        {
            connection.Gate.Release();
        }
    }

    private static JsonObject ActivationBody(ConnectionRecord c) =>
        new()
        {
            ["clientId"] = c.Enterprise.ClientId.ToString(),
            ["clientWalletId"] = c.Enterprise.ClientWalletId,
            ["connectionId"] = c.Id.ToString(),
            ["connectionToken"] = c.ConnectionToken,
            ["partnerId"] = c.PartnerId.ToString(),
        };

    private static string? Text(PartnerReply reply, string member) =>
        reply.IsOk && reply.Body![member] is JsonValue value && value.TryGetValue(out string? text)
            ? text
            : null;
}
