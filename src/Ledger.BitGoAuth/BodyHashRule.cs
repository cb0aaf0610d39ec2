using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Ledger.BitGoAuth;

/// <summary>
/// Rule 7: when the token binds the request body with a body_sha256 claim, the body must hash
/// to it. Without this a captured token could carry a different body within its minute.
/// </summary>
internal static class BodyHashRule
{
    public const string ClaimName = "body_sha256";
    private const int DigestLengthBytes = 32;
    private const int HexLengthCharacters = 64;
    private const int Base64UrlLengthCharacters = 43;

    public static Refusal? Check(JsonElement payload, ReadOnlySpan<byte> body)
    {
        if (!payload.TryGetProperty(ClaimName, out JsonElement claim))
        {
            return null;
        }
        // A body_sha256 that is present but unreadable is refused, not ignored: ignoring it
        // would silently drop the binding the sender asked for.
        if (!JoseJson.TryGetString(claim, out string? text))
        {
            return new Refusal(TokenFailure.BodyHashMismatch, "body_sha256 must be a string");
        }
        Span<byte> claimed = stackalloc byte[DigestLengthBytes];
        if (!TryDecodeDigest(text, claimed))
        {
            return new Refusal(
                TokenFailure.BodyHashMismatch,
                "body_sha256 must be 64 hex or 43 base64url characters"
            );
        }
        Span<byte> actual = stackalloc byte[DigestLengthBytes];
        int written = SHA256.HashData(body, actual);
        if (written != DigestLengthBytes)
        {
            throw new InvalidOperationException("SHA-256 must write 32 bytes.");
        }
        if (!CryptographicOperations.FixedTimeEquals(claimed, actual))
        {
            return new Refusal(TokenFailure.BodyHashMismatch, "body_sha256 does not match body");
        }
        return null;
    }

    private static bool TryDecodeDigest(string text, Span<byte> digest)
    {
        if (text.Length == HexLengthCharacters)
        {
            OperationStatus status = Convert.FromHexString(
                text,
                digest,
                out int charsConsumed,
                out int bytesWritten
            );
            return status == OperationStatus.Done
                && charsConsumed == HexLengthCharacters
                && bytesWritten == DigestLengthBytes;
        }
        if (text.Length == Base64UrlLengthCharacters)
        {
            if (
                !StrictBase64Url.TryDecode(text, out byte[] bytes)
                || bytes.Length != DigestLengthBytes
            )
            {
                return false;
            }
            bytes.CopyTo(digest);
            return true;
        }
        return false;
    }
}
