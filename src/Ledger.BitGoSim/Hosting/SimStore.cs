using Ledger.BitGoSim.Connections;
using Ledger.BitGoSim.Transfers;

namespace Ledger.BitGoSim.Hosting;

/// <summary>How a client's transfer request was admitted.</summary>
public abstract record Admission
{
    public sealed record New(TransferRecord Record) : Admission;

    /// <summary>The same clientExternalId and body: the same transfer, carried on.</summary>
    public sealed record Repeat(TransferRecord Record) : Admission;

    public sealed record Conflict(string Field) : Admission;

    public sealed record NonceUsed : Admission;

    public sealed record Full : Admission;
}

/// <summary>
/// The simulator's memory: enterprises, connections, transfers by id and by clientExternalId,
/// and used nonces. It is a simulator, so state is in memory only and gone on restart; one
/// lock guards the maps, and each record's own gate guards its flow (README, "State").
/// </summary>
public sealed class SimStore(TimeProvider time)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, EnterpriseRecord> enterprises = new(StringComparer.Ordinal);
    private readonly List<ConnectionRecord> connections = [];
    private readonly Dictionary<Guid, TransferRecord> transfersById = [];
    private readonly Dictionary<
        (string Enterprise, string Kind, string ExternalId),
        TransferRecord
    > byExternalId = [];
    private readonly Dictionary<(string Enterprise, string Nonce), TransferRecord> nonces = [];

    /// <summary>
    /// The enterprise's connection for this token, made (pending) if new; null if full.
    /// </summary>
    public ConnectionRecord? ConnectionFor(
        string enterpriseId,
        string connectionToken,
        Guid partnerId
    )
    {
        lock (gate)
        {
            ConnectionRecord? existing = connections.Find(c =>
                c.Enterprise.Id == enterpriseId && c.ConnectionToken == connectionToken
            );
            if (existing is not null || connections.Count >= SimLimits.ConnectionsMax)
            {
                return existing;
            }
            if (!enterprises.TryGetValue(enterpriseId, out EnterpriseRecord? enterprise))
            {
                Guid clientId = Guid.NewGuid();
                enterprise = new EnterpriseRecord(enterpriseId, clientId, $"wallet-{clientId:N}");
                enterprises.Add(enterpriseId, enterprise);
            }
            var created = new ConnectionRecord(
                Guid.NewGuid(),
                enterprise,
                partnerId,
                connectionToken,
                time.GetUtcNow()
            );
            connections.Add(created);
            return created;
        }
    }

    /// <summary>
    /// The connection if this enterprise activated it and the partner confirmed it.
    /// </summary>
    public ConnectionRecord? ActiveConnection(string enterpriseId, Guid connectionId)
    {
        lock (gate)
        {
            return connections.Find(c =>
                c.Id == connectionId && c.Enterprise.Id == enterpriseId && c.State.Active
            );
        }
    }

    public Admission Admit(
        string enterpriseId,
        TransferKind kind,
        ConnectionRecord connection,
        TransferRequest request
    )
    {
        lock (gate)
        {
            var key = (enterpriseId, kind.Name, request.ClientExternalId);
            if (byExternalId.TryGetValue(key, out TransferRecord? existing))
            {
                string? field = existing.Request.FirstDifference(request);
                return field is null
                    ? new Admission.Repeat(existing)
                    : new Admission.Conflict(field);
            }
            if (nonces.ContainsKey((enterpriseId, request.Nonce)))
            {
                return new Admission.NonceUsed();
            }
            if (transfersById.Count >= SimLimits.TransfersMax)
            {
                return new Admission.Full();
            }
            var record = new TransferRecord(
                Guid.NewGuid(),
                kind,
                enterpriseId,
                connection,
                request,
                time.GetUtcNow()
            );
            transfersById.Add(record.Id, record);
            byExternalId.Add(key, record);
            nonces.Add((enterpriseId, request.Nonce), record);
            return new Admission.New(record);
        }
    }

    public TransferRecord? Find(Guid transferId)
    {
        lock (gate)
        {
            return transfersById.GetValueOrDefault(transferId);
        }
    }

    public IReadOnlyList<TransferRecord> TransfersOf(string enterpriseId)
    {
        lock (gate)
        {
            return
            [
                .. transfersById
                    .Values.Where(t => t.EnterpriseId == enterpriseId)
                    .OrderBy(t => t.CreatedAt),
            ];
        }
    }

    public IReadOnlyList<ConnectionRecord> ConnectionsOf(string enterpriseId)
    {
        lock (gate)
        {
            return [.. connections.Where(c => c.Enterprise.Id == enterpriseId)];
        }
    }
}
