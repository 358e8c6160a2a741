namespace IntegrationHub.Hosting;

/// <summary>
/// Reads a whole HTTP body that must stay small (a Quittung, a callback, a mailbox message) into memory, refusing it as
/// soon as it is longer than allowed: never more than one chunk past the limit is read.
/// </summary>
public static class BoundedBody
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>The body, or null when it is longer than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> ReadAsync(Stream body, long maxBytes, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[ChunkBytes];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>The content, or null when it announces or turns out to be longer than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]?> ReadAsync(HttpContent content, long maxBytes, CancellationToken ct)
    {
        if (content.Headers.ContentLength > maxBytes) return null;
        await using var body = await content.ReadAsStreamAsync(ct);
        return await ReadAsync(body, maxBytes, ct);
    }
}
