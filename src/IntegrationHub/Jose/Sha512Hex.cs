using System.Security.Cryptography;

namespace IntegrationHub.Jose;

/// <summary>SHA-512 as lowercase hex (the FIT-Connect metadata hash format) and a constant-time hex comparison.</summary>
public static class Sha512Hex
{
    public static string Compute(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA512.HashData(data));

    public static async Task<string> ComputeAsync(Stream s, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(s);
        var hash = await SHA512.HashDataAsync(s, ct).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>
    /// Case-insensitive comparison of two hex strings whose running time does not depend on where they differ.
    /// Lengths and hex-ness are not secret and may short-circuit; non-hex input never matches.
    /// </summary>
    public static bool FixedTimeEqualsHex(string expectedHex, string actualHex)
    {
        if (expectedHex is null || actualHex is null || expectedHex.Length != actualHex.Length || expectedHex.Length == 0)
        {
            return false;
        }

        if (!IsHex(expectedHex) || !IsHex(actualHex))
        {
            return false;
        }

        var diff = 0;
        for (var i = 0; i < expectedHex.Length; i++)
        {
            // Setting bit 0x20 lowercases A-F and leaves 0-9 unchanged; both strings are known hex here.
            diff |= (expectedHex[i] | 0x20) ^ (actualHex[i] | 0x20);
        }

        return diff == 0;
    }

    private static bool IsHex(string s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
