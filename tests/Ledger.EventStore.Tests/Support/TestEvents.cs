using System.Text.Json;

namespace Ledger.EventStore.Tests.Support;

public sealed record AccountOpened(Guid AccountId, string Owner);

public sealed record FundsDeposited(Guid AccountId, string Quantity);

public sealed record NoteAdded(Guid AccountId, int Writer, string Text);

/// <summary>Stands for an event type that a later build no longer registers.</summary>
public sealed record LegacyNoted(Guid AccountId, string Text);

/// <summary>The test events, their aliases and the metadata every test append carries.</summary>
public static class TestEvents
{
    public const string StreamType = "test_account";
    public const string AccountOpenedAlias = "test_account_opened";
    public const string FundsDepositedAlias = "test_funds_deposited";
    public const string NoteAddedAlias = "test_note_added";
    public const string LegacyNotedAlias = "test_legacy_noted";

    public static EventMetadata Metadata { get; } =
        new("operator:alice", "correlation-1", "causation-1", "request-1");

    /// <summary>The registry of the current build: it knows every test event.</summary>
    public static EventTypeRegistry Registry() =>
        RegistryWithoutLegacy().Register<LegacyNoted>(LegacyNotedAlias);

    /// <summary>A later build's registry, which dropped <see cref="LegacyNoted"/>.</summary>
    public static EventTypeRegistry RegistryWithoutLegacy() =>
        new EventTypeRegistry(new JsonSerializerOptions(JsonSerializerDefaults.Web))
            .Register<AccountOpened>(AccountOpenedAlias)
            .Register<FundsDeposited>(FundsDepositedAlias)
            .Register<NoteAdded>(NoteAddedAlias);
}
