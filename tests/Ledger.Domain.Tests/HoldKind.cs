using Ledger.Domain.Allocations;
using Ledger.Domain.Connections;
using Ledger.Domain.Deallocations;
using Ledger.Domain.Holds;

namespace Ledger.Domain.Tests;

/// <summary>
/// What differs between allocations and deallocations, as the API's HoldFlow sees it, so that
/// one test states a rule for both kinds. Allocations ignore the available funds.
/// </summary>
internal sealed record HoldKind(
    string Name,
    Func<HoldRequest, Connection?, Quantity, string, IReadOnlyList<object>> Request,
    Func<Hold, SettleDecision> Clear,
    Func<Hold, SettleDecision> Release,
    Func<Guid, Guid, Guid, Amount, object> ClearedEvent,
    Func<Guid, Guid, Guid, Amount, object> ReleasedEvent
)
{
    public static HoldKind Allocation { get; } =
        new(
            "allocation",
            (request, connection, _, partnerId) =>
                AllocationDecisions.Request(
                    request,
                    connection,
                    CurrencyCatalog.Default,
                    partnerId
                ),
            AllocationDecisions.Clear,
            AllocationDecisions.Release,
            (id, client, connection, amount) =>
                new AllocationCleared(id, client, connection, amount),
            (id, client, connection, amount) =>
                new AllocationReleased(id, client, connection, amount)
        );

    public static HoldKind Deallocation { get; } =
        new(
            "deallocation",
            (request, connection, available, partnerId) =>
                DeallocationDecisions.Request(
                    request,
                    connection,
                    CurrencyCatalog.Default,
                    available,
                    partnerId
                ),
            DeallocationDecisions.Clear,
            DeallocationDecisions.Release,
            (id, client, connection, amount) =>
                new DeallocationCleared(id, client, connection, amount),
            (id, client, connection, amount) =>
                new DeallocationReleased(id, client, connection, amount)
        );

    public static HoldKind Named(string name) =>
        name switch
        {
            "allocation" => Allocation,
            "deallocation" => Deallocation,
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such hold kind"),
        };

    /// <summary>A hold opened on the sample's active connection with ample funds.</summary>
    public Hold ReservedHold() => Open(Samples.ActiveConnection());

    /// <summary>A hold refused before funds: its connection is unknown.</summary>
    public Hold RejectedHold() => Open(connection: null);

    public Hold ClearedHold() => Settled(ReservedHold(), Clear);

    public Hold ReleasedHold() => Settled(ReservedHold(), Release);

    private Hold Open(Connection? connection) =>
        Hold.Fold(
            Request(Samples.Request(), connection, Samples.Q("1000"), Samples.PartnerReference)
        )!;

    private static Hold Settled(Hold hold, Func<Hold, SettleDecision> settle) =>
        Hold.Next(hold, Assert.IsType<SettleDecision.Append>(settle(hold)).Event);
}
