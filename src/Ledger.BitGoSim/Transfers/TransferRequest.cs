using System.Text.Json;
using Ledger.BitGoSim.Hosting;
using Ledger.Domain;

namespace Ledger.BitGoSim.Transfers;

/// <summary>
/// Seed 000's request body: amount, clientExternalId, nonce, notes, payload, signature.
/// payload and signature are the client's signed intent. The simulator cannot verify a
/// client's wallet signature, so it only checks that both are non-empty strings.
/// </summary>
public sealed record TransferRequest(
    Guid ConnectionId,
    Amount Amount,
    string ClientExternalId,
    string Nonce,
    string? Notes,
    string Payload,
    string Signature
)
{
    /// <summary>
    /// The first field, by its seed name, in which a retry differs; null if none.
    /// </summary>
    public string? FirstDifference(TransferRequest retry) =>
        ConnectionId != retry.ConnectionId ? "connectionId"
        : Amount.Currency != retry.Amount.Currency ? "amount.currency"
        : Amount.Quantity != retry.Amount.Quantity ? "amount.quantity"
        : Nonce != retry.Nonce ? "nonce"
        : Notes != retry.Notes ? "notes"
        : Payload != retry.Payload ? "payload"
        : Signature != retry.Signature ? "signature"
        : null;

    /// <summary>Reads the body; the error names the field first ("amount.quantity: ...").</summary>
    public static (TransferRequest? Request, string? Error) Read(
        JsonElement root,
        Guid connectionId
    )
    {
        if (
            !root.TryGetProperty("amount", out JsonElement amount)
            || amount.ValueKind != JsonValueKind.Object
        )
        {
            return (null, "amount: required, an object {currency, quantity}");
        }
        var fields = new FieldReader();
        string? currencyText = fields.Text(amount, "amount.currency", Currency.LengthMax);
        string? quantityText = fields.Text(amount, "amount.quantity", Quantity.DigitsMax);
        string? external = fields.Text(root, "clientExternalId", SimLimits.TextLengthMax);
        string? nonce = fields.Text(root, "nonce", SimLimits.TextLengthMax);
        string? notes = fields.Text(root, "notes", SimLimits.TextLengthMax, required: false);
        string? payload = fields.Text(root, "payload", SimLimits.SignedTextLengthMax);
        string? signature = fields.Text(root, "signature", SimLimits.SignedTextLengthMax);
        if (fields.Error is not null)
        {
            return (null, fields.Error);
        }
        if (!Currency.TryParse(currencyText, out Currency currency))
        {
            return (null, "amount.currency: must match [a-z0-9][a-z0-9:._-]*");
        }
        if (!Quantity.TryParse(quantityText, out Quantity quantity) || quantity.IsZero)
        {
            return (
                null,
                "amount.quantity: must be a positive integer string in base units, "
                    + "with no sign, fraction or leading zero"
            );
        }
        return (
            new TransferRequest(
                connectionId,
                new Amount(currency, quantity),
                external!,
                nonce!,
                notes,
                payload!,
                signature!
            ),
            null
        );
    }

    /// <summary>Reads string members; the first failure is kept and names its field.</summary>
    private sealed class FieldReader
    {
        public string? Error { get; private set; }

        /// <summary>A string of 1..max characters, or null (absent when not required).</summary>
        public string? Text(JsonElement parent, string path, int lengthMax, bool required = true)
        {
            if (Error is not null)
            {
                return null;
            }
            string name = path[(path.LastIndexOf('.') + 1)..];
            if (
                !parent.TryGetProperty(name, out JsonElement value)
                || value.ValueKind == JsonValueKind.Null
            )
            {
                Error = required ? $"{path}: required" : null;
                return null;
            }
            string? text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            if (text is not { Length: > 0 } || text.Length > lengthMax)
            {
                Error = $"{path}: must be a string of 1-{lengthMax} characters";
                return null;
            }
            return text;
        }
    }
}
