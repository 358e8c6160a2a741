using System.Buffers.Text;

namespace IntegrationHub.Tenancy;

/// <summary>
/// The rule for Hub:Keys:MasterKey, checked when the key store starts: at least 256 bits of key material, written as
/// base64 (standard or URL-safe) or hex of at least <see cref="MinBytes"/> random bytes (<c>openssl rand -base64 32</c>).
/// No check can prove randomness; this one refuses what is certainly not 256 bits: text that is no such encoding
/// (a pass phrase), fewer than 32 bytes, bytes that repeat a block shorter than 32 bytes ("abcabc…", an overlap of at
/// least 8 bytes), fewer than 16 distinct byte values, or a sequence whose steps take fewer than 16 distinct values
/// (00 01 02 …). 32 random bytes fail one of these with a probability below 10^-12.
/// </summary>
public static class MasterKeyStrength
{
    public const int MinBytes = 32;
    /// <summary>Distinct values 32 random bytes show (about 30 expected) are never this few but for a broken generator.</summary>
    public const int MinDistinct = 16;

    /// <summary>A repetition counts from this overlap on (random bytes overlap by 8 with a probability of 2^-64).</summary>
    private const int MinOverlap = 8;

    public const string Advice = "Generate one with `openssl rand -base64 32` and set it as Hub__Keys__MasterKey.";

    /// <summary>Why the value is refused, or null when it is acceptable. Never quotes the value.</summary>
    public static string? Weakness(string? value)
    {
        if (Decode(value?.Trim()) is not { } bytes)
            return "it is not base64 or hex (a pass phrase has far less than 256 bits of entropy).";
        if (bytes.Length < MinBytes) return $"it decodes to {bytes.Length} bytes; at least {MinBytes} random bytes (256 bits) are required.";
        var period = Period(bytes);
        if (period < MinBytes && bytes.Length - period >= MinOverlap) return $"it repeats a block shorter than {MinBytes} bytes.";
        if (bytes.Distinct().Count() < MinDistinct) return $"it has fewer than {MinDistinct} distinct byte values: it is not random.";
        var steps = bytes.Zip(bytes.Skip(1), (a, b) => (byte)(b - a)).Distinct().Count();
        if (steps < MinDistinct) return "its bytes follow a simple sequence: it is not random.";
        return null;
    }

    /// <summary>Throws at start-up with a clear message when the master key is too weak.</summary>
    public static void Require(string? value, string source)
    {
        if (Weakness(value) is { } why)
            throw new InvalidOperationException($"Hub:Keys:MasterKey ({source}) is refused: {why} {Advice}");
    }

    private static byte[]? Decode(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        // Hex first: a hex string is valid base64 too, but means half as many bytes.
        if (text.Length % 2 == 0 && text.All(char.IsAsciiHexDigit)) return Convert.FromHexString(text);
        var buffer = new byte[text.Length];
        if (Convert.TryFromBase64String(text, buffer, out var written)) return buffer[..written];
        return Base64Url.IsValid(text) ? Base64Url.DecodeFromChars(text) : null;
    }

    /// <summary>The length of the shortest block the bytes repeat (the whole length when they repeat none).</summary>
    private static int Period(byte[] bytes)
    {
        // Knuth-Morris-Pratt failure function: the longest proper prefix that is also a suffix.
        var border = new int[bytes.Length];
        for (int i = 1, k = 0; i < bytes.Length; i++)
        {
            while (k > 0 && bytes[i] != bytes[k]) k = border[k - 1];
            if (bytes[i] == bytes[k]) k++;
            border[i] = k;
        }
        return bytes.Length - border[^1];
    }
}
