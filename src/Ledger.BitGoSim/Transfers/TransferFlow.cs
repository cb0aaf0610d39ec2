using System.Text.Json.Nodes;
using Ledger.BitGoSim.Hosting;
using Ledger.BitGoSim.Partner;

namespace Ledger.BitGoSim.Transfers;

/// <summary>
/// BitGo's side of a transfer: reserve at the partner, then clear. Each step runs only from
/// the state before it, so a retry carries on where the last attempt stopped: it POSTs again
/// (same id: the partner's idempotency answers with the hold it already has) only while no
/// answer confirmed the hold, and otherwise only clears. It never opens a second hold.
/// </summary>
public sealed class TransferFlow(PartnerClient partner, FaultSwitch faults, TimeProvider time)
{
    public const string PartnerActor = "BitGo->partner";

    public const string ReleasedByFault = "released by BitGo instead of cleared (fault injection)";

    public async Task<TransferState> AdvanceAsync(
        TransferRecord record,
        CancellationToken cancellationToken
    )
    {
        await record.Gate.WaitAsync(cancellationToken);
        try
        {
            if (record.State.Status == TransferStatus.Requested)
            {
                await ReserveAsync(record, cancellationToken);
            }
            if (record.State.Status == TransferStatus.Reserved)
            {
                await SettleAsync(record, cancellationToken);
            }
            return record.State;
        }
        finally
        {
            record.Gate.Release();
        }
    }

    private async Task ReserveAsync(TransferRecord record, CancellationToken cancellationToken)
    {
        PartnerReply reply = await partner.SendAsync(
            HttpMethod.Post,
            record.Kind.PartnerOpenPath,
            HoldBody(record),
            record.Id.ToString(),
            cancellationToken
        );
        JsonObject? body = reply.IsOk ? reply.Body : null;
        string? reference = body is null ? null : Text(body, record.Kind.PartnerReferenceField);
        bool sameHold =
            body is not null && Text(body, record.Kind.PartnerIdField) == record.Id.ToString();
        if (body is null || reference is null || !sameHold)
        {
            Fail(record, reply, body is null ? null : "the partner's answer names another hold");
            return;
        }
        string? rejection = Text(body, "rejectionReason");
        // A POST after an unanswered one carries the same id: the partner answers with the
        // hold it may already have made, never a second one.
        string again = record.State.LastError is null ? "" : " again (same id)";
        string call = $"{reply.Method} {reply.Path}{again} -> {reply.Status}";
        record.Note(
            reply.At,
            PartnerActor,
            rejection is null ? $"{call} reserved as {reference}" : $"{call} refused: {rejection}"
        );
        record.State = record.State with
        {
            Status = rejection is null ? TransferStatus.Reserved : TransferStatus.Released,
            PartnerExternalId = reference,
            Reason = rejection,
            LastError = null,
            UpdatedAt = time.GetUtcNow(),
        };
    }

    private async Task SettleAsync(TransferRecord record, CancellationToken cancellationToken)
    {
        SimFaults faultsNow = faults.Current;
        bool release = faultsNow.ReleaseInsteadOfClear;
        if (faultsNow.ClearDelayMilliseconds > 0)
        {
            record.Note(
                time.GetUtcNow(),
                "BitGo",
                $"waits {faultsNow.ClearDelayMilliseconds} ms before settling "
                    + "(fault: delay clear)"
            );
            await Task.Delay(
                TimeSpan.FromMilliseconds(faultsNow.ClearDelayMilliseconds),
                time,
                cancellationToken
            );
        }
        string path = $"{record.Kind.PartnerItemPath(record.Id)}/{(release ? "release" : "clear")}";
        PartnerReply reply = await partner.SendAsync(
            HttpMethod.Put,
            path,
            null,
            record.Id.ToString(),
            cancellationToken
        );
        if (!reply.IsOk)
        {
            Fail(record, reply, null);
            return;
        }
        record.Note(
            reply.At,
            PartnerActor,
            $"{reply.Method} {reply.Path} -> {reply.Status}"
                + (release ? " (fault: release instead of clear)" : "")
        );
        record.State = record.State with
        {
            Status = release ? TransferStatus.Released : TransferStatus.Cleared,
            Reason = release ? ReleasedByFault : null,
            LastError = null,
            UpdatedAt = time.GetUtcNow(),
        };
    }

    /// <summary>No usable answer: the state stays where it was, and the client may retry.</summary>
    private void Fail(TransferRecord record, PartnerReply reply, string? problem)
    {
        string error = problem ?? reply.Describe();
        record.Note(reply.At, PartnerActor, $"{reply.Method} {reply.Path} -> {reply.Note}");
        record.State = record.State with { LastError = error, UpdatedAt = time.GetUtcNow() };
    }

    /// <summary>Seed 003's request body, built from what BitGo stored for the transfer.</summary>
    private static JsonObject HoldBody(TransferRecord record)
    {
        Connections.ConnectionState connection = record.Connection.State;
        return new JsonObject
        {
            [record.Kind.PartnerIdField] = record.Id.ToString(),
            ["amount"] = new JsonObject
            {
                ["currency"] = record.Request.Amount.Currency.Code,
                ["quantity"] = record.Request.Amount.Quantity.ToString(),
            },
            ["clientId"] = record.Connection.Enterprise.ClientId.ToString(),
            ["connectionId"] = record.Connection.Id.ToString(),
            ["partnersConnectionId"] = connection.PartnersConnectionId,
            ["partnerClientId"] = connection.PartnersClientId,
        };
    }

    private static string? Text(JsonObject body, string member) =>
        body[member] is JsonValue value && value.TryGetValue(out string? text) ? text : null;
}
