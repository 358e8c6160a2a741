using System.Buffers.Text;

namespace IntegrationHub.Jose;

/// <summary>
/// Strict base64url (RFC 7515 section 2): alphabet [A-Za-z0-9-_], no padding, no whitespace.
/// The BCL decoder is lenient (padding, whitespace), which would allow several spellings of one token.
/// </summary>
internal static class Base64UrlStrict
{
    public static bool IsValid(ReadOnlySpan<char> text)
    {
        if (text.Length % 4 == 1)
        {
            return false;
        }

        foreach (var c in text)
        {
            var ok = c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    public static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
    {
        if (!IsValid(text))
        {
            bytes = [];
            return false;
        }

        // Reject non-canonical encodings (unused trailing bits set), so one value has exactly one spelling.
        var rest = text.Length % 4;
        if (rest != 0)
        {
            var last = SextetOf(text[^1]);
            var unusedMask = rest == 2 ? 0x0F : 0x03;
            if ((last & unusedMask) != 0)
            {
                bytes = [];
                return false;
            }
        }

        bytes = Base64Url.DecodeFromChars(text);
        return true;
    }

    private static int SextetOf(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '-' => 62,
        _ => 63,
    };

    public static string Encode(ReadOnlySpan<byte> bytes) => Base64Url.EncodeToString(bytes);
}
