using System.Text;
using System.Text.Json;

namespace IntegrationHub.Jose;

/// <summary>Compact JWE parsing helpers (RFC 7516 section 7.1). No cryptography happens here.</summary>
public static class Jwe
{
    /// <summary>Upper bound for the protected header; real headers are a few hundred bytes.</summary>
    internal const int MaxHeaderChars = 16 * 1024;

    private static readonly JsonDocumentOptions HeaderJsonOptions = new()
    {
        AllowDuplicateProperties = false, // RFC 7516 4: member names MUST be unique
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 16,
    };

    /// <summary>
    /// Reads the protected header of a compact JWE (exactly five parts). Does not decrypt and does not
    /// check algorithms against a policy. Use <c>kid</c> for diagnostics only, never to pick the key.
    /// </summary>
    /// <exception cref="JweException">Malformed.</exception>
    public static JweHeader ReadHeader(string compact)
    {
        var parts = Split(compact);
        return ParseHeader(parts[0]);
    }

    /// <summary>Splits into exactly five parts; each part must be strict base64url (parts 2-4 may not be empty, part 1 may not).</summary>
    internal static string[] Split(string compact)
    {
        if (string.IsNullOrEmpty(compact))
        {
            throw new JweException(JweFailure.Malformed, "JWE is empty.");
        }

        var parts = compact.Split('.');
        if (parts.Length != 5)
        {
            throw new JweException(JweFailure.Malformed, "JWE compact serialization must have exactly 5 parts.");
        }

        if (parts[0].Length == 0 || parts[0].Length > MaxHeaderChars)
        {
            throw new JweException(JweFailure.Malformed, "JWE protected header is missing or too long.");
        }

        return parts;
    }

    internal static JweHeader ParseHeader(string encodedHeader)
    {
        if (!Base64UrlStrict.TryDecode(encodedHeader, out var headerBytes))
        {
            throw new JweException(JweFailure.Malformed, "JWE protected header is not base64url.");
        }

        Dictionary<string, JsonElement> all;
        try
        {
            // Strict UTF-8: invalid sequences must not be silently replaced.
            var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            _ = utf8.GetCharCount(headerBytes);

            using var doc = JsonDocument.Parse(headerBytes, HeaderJsonOptions);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new JweException(JweFailure.Malformed, "JWE protected header is not a JSON object.");
            }

            all = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                all[property.Name] = property.Value.Clone();
            }
        }
        catch (JsonException ex)
        {
            throw new JweException(JweFailure.Malformed, "JWE protected header is not valid JSON.", ex);
        }
        catch (DecoderFallbackException ex)
        {
            throw new JweException(JweFailure.Malformed, "JWE protected header is not valid UTF-8.", ex);
        }

        var alg = RequiredString(all, "alg");
        var enc = RequiredString(all, "enc");
        return new JweHeader(alg, enc, OptionalString(all, "kid"), OptionalString(all, "cty"), OptionalString(all, "zip"), all);
    }

    private static string RequiredString(Dictionary<string, JsonElement> all, string name)
    {
        if (!all.TryGetValue(name, out var value) || value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(value.GetString()))
        {
            throw new JweException(JweFailure.Malformed, $"JWE protected header lacks a string '{name}'.");
        }

        return value.GetString()!;
    }

    private static string? OptionalString(Dictionary<string, JsonElement> all, string name)
    {
        if (!all.TryGetValue(name, out var value))
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new JweException(JweFailure.Malformed, $"JWE protected header member '{name}' must be a string.");
        }

        return value.GetString();
    }
}
