using System.Collections.Concurrent;
using Ledger.Domain.Connections;

namespace Ledger.Api.Holds;

/// <summary>
/// Connections as folded at a stream version, so a group reads a connection's events only when
/// they changed (Marten keeps aggregates by version the same way). A connection is a pure fold
/// of its events, and events never change, so an entry is exact for its version; every group
/// still reads each connection's version in its own snapshot and folds again on any
/// difference (GroupReads.Connections). Nothing here decides; a missing entry costs one fold.
/// </summary>
public sealed class ConnectionCache
{
    /// <summary>Beyond this many connections the cache starts again empty, and refills as read.</summary>
    public const int EntriesMax = 100_000;

    private readonly ConcurrentDictionary<Guid, Connection> _entries = new();

    public Connection? Find(Guid connectionId) =>
        _entries.TryGetValue(connectionId, out Connection? connection) ? connection : null;

    public void Keep(Connection connection) => _entries.Put(connection.Id, connection, EntriesMax);
}
