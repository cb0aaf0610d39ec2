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
        // Splitting on at most four pieces finds a fourth segment without allocating more.
        string[] segments = token.Split('.', SegmentCount + 1);
        if (segments.Length != SegmentCount)
        {
            detail = "token must have exactly three segments";
            return false;
        }
        if (segments.Any(segment => segment.Length == 0))
        {
            detail = "token segments must not be empty";
            return false;
        }
        bool decoded =
            StrictBase64Url.TryDecode(segments[0], out byte[] header)
            & StrictBase64Url.TryDecode(segments[1], out byte[] payload)
            & StrictBase64Url.TryDecode(segments[2], out byte[] signature);
        if (!decoded)
        {
            detail = "token segments must be unpadded canonical base64url";
            return false;
        }
        int signingInputLength = segments[0].Length + 1 + segments[1].Length;
        // The alphabet check above guarantees ASCII, so one char is one byte.
        byte[] signingInput = Encoding.ASCII.GetBytes(token, 0, signingInputLength);
        parsed = new CompactToken(header, payload, signature, signingInput);
        detail = "";
        return true;
    }
}
