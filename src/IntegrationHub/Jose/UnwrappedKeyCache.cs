using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace IntegrationHub.Jose;

/// <summary>
/// Content encryption keys this process unwrapped recently, per private key. The hub decrypts a stored submission more
/// than once (validation, then each delivery starts again from the stored original), and the RSA-OAEP unwrap with a
/// 4096-bit key is by far its most expensive step (about 4 ms each; the AES-GCM work on a 200 KB attachment is a
/// tenth of that). The same encrypted key under the same private key and padding always unwraps to the same CEK, so a
/// hit gives exactly what the RSA operation would; the GCM tag is still checked on every read. A key is kept only after
/// its GCM tag verified (JweKeyManagement.KeepVerified): an encrypted key with a valid OAEP padding but no matching
/// ciphertext never becomes faster, so timing is no padding oracle. Entries last <see cref="Lifetime"/>, at most
/// <see cref="Capacity"/> per key. The CEKs live in the memory of the process that holds the private key itself.
/// </summary>
internal static class UnwrappedKeyCache
{
    /// <summary>Long enough for validation and the deliveries that follow it; a retry hours later unwraps again.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    public const int Capacity = 10_000;

    private sealed record Entry(byte[] Cek, long ExpiresAt);

    private static readonly ConditionalWeakTable<RSA, ConcurrentDictionary<string, Entry>> PerKey = new();

    /// <summary>A copy of the CEK unwrapped earlier for this encrypted key, or null.</summary>
    public static byte[]? Find(RSA privateKey, ReadOnlySpan<byte> encryptedKey, RSAEncryptionPadding padding)
    {
        if (!PerKey.TryGetValue(privateKey, out var entries)) return null;
        var name = Name(encryptedKey, padding);
        if (!entries.TryGetValue(name, out var entry)) return null;
        if (entry.ExpiresAt > Environment.TickCount64) return (byte[])entry.Cek.Clone();
        if (entries.TryRemove(name, out var expired)) CryptographicOperations.ZeroMemory(expired.Cek);
        return null;
    }

    public static void Keep(RSA privateKey, ReadOnlySpan<byte> encryptedKey, RSAEncryptionPadding padding, byte[] cek)
    {
        var entries = PerKey.GetValue(privateKey, _ => new ConcurrentDictionary<string, Entry>(StringComparer.Ordinal));
        if (entries.Count >= Capacity) Evict(entries);
        entries[Name(encryptedKey, padding)] = new Entry((byte[])cek.Clone(), Environment.TickCount64 + (long)Lifetime.TotalMilliseconds);
    }

    /// <summary>Drops the expired entries, or all of them when none has expired (a burst beyond the capacity).</summary>
    private static void Evict(ConcurrentDictionary<string, Entry> entries)
    {
        var now = Environment.TickCount64;
        var expired = entries.Where(e => e.Value.ExpiresAt <= now).Select(e => e.Key).ToList();
        foreach (var name in expired.Count > 0 ? expired : entries.Keys.ToList())
            if (entries.TryRemove(name, out var entry)) CryptographicOperations.ZeroMemory(entry.Cek);
    }

    // The encrypted key is public (it travels in the JWE); its hash with the padding names the entry.
    private static string Name(ReadOnlySpan<byte> encryptedKey, RSAEncryptionPadding padding) =>
        padding.OaepHashAlgorithm.Name + ":" + Convert.ToBase64String(SHA256.HashData(encryptedKey));
}
