using System.Buffers;

namespace Ledger.Api.Hosting;

/// <summary>
/// The request body's raw bytes, read once with a cap of <see cref="Limits.BodyBytesMax"/> and
/// kept for the request: the signature check hashes them, the handler parses them.
/// </summary>
public static class RawBody
{
    private const string ItemKey = "ledger.rawBody";

    /// <summary>The body, or null when it is longer than the limit.</summary>
    public static async Task<byte[]?> ReadAsync(
        HttpRequest request,
        CancellationToken cancellationToken
    )
    {
        if (request.HttpContext.Items.TryGetValue(ItemKey, out object? cached))
        {
            return (byte[])cached!;
        }
        if (request.ContentLength > Limits.BodyBytesMax)
        {
            return null;
        }
        byte[]? body = await ReadCappedAsync(request.Body, cancellationToken);
        if (body is not null)
        {
            request.HttpContext.Items[ItemKey] = body;
        }
        return body;
    }

    private static async Task<byte[]?> ReadCappedAsync(
        Stream stream,
        CancellationToken cancellationToken
    )
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Limits.BodyBytesMax + 1);
        try
        {
            int total = 0;
            int read;
            while (
                (
                    read = await stream.ReadAsync(
                        buffer.AsMemory(total, Limits.BodyBytesMax + 1 - total),
                        cancellationToken
                    )
                ) > 0
            )
            {
                total += read;
                if (total > Limits.BodyBytesMax)
                {
                    return null;
                }
            }
            return buffer.AsSpan(0, total).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
