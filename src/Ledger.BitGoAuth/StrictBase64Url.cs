using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;

namespace Ledger.BitGoAuth;

/// <summary>
/// Base64url as RFC 7515 section 2 defines it for JWS: the URL-safe alphabet, no padding, no
/// whitespace. The BCL decoder is lenient (it skips whitespace and accepts padding), so the
/// alphabet is checked here first, and the result is re-encoded so that only the one canonical
/// spelling of each byte string passes. Without that, one signature has several spellings,
/// and a token could be replayed under a "new" text.
/// </summary>
internal static class StrictBase64Url
{
    // A base64 text of length 4k+1 cannot come from any byte string.
    private const int ImpossibleRemainder = 1;

    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.IsEmpty || text.Length % 4 == ImpossibleRemainder)
        {
            return false;
        }
        if (text.ContainsAnyExcept(Alphabet))
        {
            return false;
        }
        byte[] decoded = new byte[Base64Url.GetMaxDecodedLength(text.Length)];
        OperationStatus status = Base64Url.DecodeFromChars(
            text,
            decoded,
            out int charsConsumed,
            out int bytesWritten
        );
        if (status != OperationStatus.Done || charsConsumed != text.Length)
        {
            return false;
        }
        if (!IsCanonical(text, decoded.AsSpan(0, bytesWritten)))
        {
            return false;
        }
        bytes = decoded[..bytesWritten];
        return true;
    }

    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        string text = Base64Url.EncodeToString(bytes);
        Debug.Assert(!text.Contains('='), "Base64Url.EncodeToString must not pad.");
        return text;
    }

    private static bool IsCanonical(ReadOnlySpan<char> text, ReadOnlySpan<byte> decoded)
    {
        // Non-zero unused bits in the last character would decode to the same bytes. Today's
        // BCL decoder already refuses them, but re-encoding makes the guarantee ours: the
        // encoder always writes those bits as zero, so any other spelling differs. Encoded
        // into a rented buffer: a string per segment was a tenth of a reservation's garbage.
        char[] encoded = ArrayPool<char>.Shared.Rent(Base64Url.GetEncodedLength(decoded.Length));
        try
        {
            int written = Base64Url.EncodeToChars(decoded, encoded);
            return encoded.AsSpan(0, written).SequenceEqual(text);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(encoded);
        }
    }

    private static readonly SearchValues<char> Alphabet = SearchValues.Create(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    );
}
