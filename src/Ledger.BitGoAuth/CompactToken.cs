using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Ledger.BitGoAuth;

/// <summary>
/// A JWS in compact serialization (RFC 7515 section 7.1), split and decoded but not yet
/// trusted. <see cref="SigningInput"/> is the exact ASCII text the signature covers.
/// </summary>
internal sealed record CompactToken(
    byte[] Header,
    byte[] Payload,
    byte[] Signature,
    byte[] SigningInput
)
{
    private const int SegmentCount = 3;

    public static bool TryParse(
        string token,
        [NotNullWhen(true)] out CompactToken? parsed,
        out string detail
    )
    {
        Debug.Assert(token.Length > 0, "The caller reports a missing token itself.");
        parsed = null;
        if (token.Length > BitGoTokenVerifier.TokenLengthCharactersMax)
        {
            detail = "token is longer than the limit";
            return false;
        }
        // Four ranges at most: a fourth segment shows as a fourth range, and no piece is copied.
        ReadOnlySpan<char> text = token;
        Span<Range> segments = stackalloc Range[SegmentCount + 1];
        if (text.Split(segments, '.') != SegmentCount)
        {
            detail = "token must have exactly three segments";
            return false;
        }
        if (text[segments[0]].IsEmpty || text[segments[1]].IsEmpty || text[segments[2]].IsEmpty)
        {
            detail = "token segments must not be empty";
            return false;
        }
        bool decoded =
            StrictBase64Url.TryDecode(text[segments[0]], out byte[] header)
            & StrictBase64Url.TryDecode(text[segments[1]], out byte[] payload)
            & StrictBase64Url.TryDecode(text[segments[2]], out byte[] signature);
        if (!decoded)
        {
            detail = "token segments must be unpadded canonical base64url";
            return false;
        }
        int signingInputLength = segments[1].End.GetOffset(token.Length);
        // The alphabet check above guarantees ASCII, so one char is one byte.
        byte[] signingInput = Encoding.ASCII.GetBytes(token, 0, signingInputLength);
        parsed = new CompactToken(header, payload, signature, signingInput);
        detail = "";
        return true;
    }
}
