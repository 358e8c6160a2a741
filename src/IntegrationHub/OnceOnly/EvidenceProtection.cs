using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Security.AtRest;
using IntegrationHub.Tenancy;

namespace IntegrationHub.OnceOnly;

/// <summary>
/// Encrypts personal data of evidence requests at rest with the requesting municipality's data key
/// (<see cref="AtRestProtector"/>), bound to the request's row, so a ciphertext moved to another row does not decrypt.
/// Rows written before the per-municipality keys (base64 of nonce | tag | ciphertext under a key derived from
/// Hub:Keys:MasterKey, the request id as associated data) are still read.
/// </summary>
public sealed class EvidenceProtection(KeyStore keys, AtRestProtector atRest)
{
    private const string LegacyPurpose = "integrationhub:evidence-requests:v1";
    private readonly Lazy<byte[]> _legacyKey = new(() => keys.DerivedKey(LegacyPurpose));

    public static string Context(Guid requestId) => $"evidence-requests/{requestId:N}";

    public async Task<string> ProtectAsync(Guid requestId, string ars, string plaintext, CancellationToken ct) =>
        (await atRest.ProtectTextAsync(ars, plaintext, Context(requestId), ct))!;

    /// <exception cref="AtRestDataException">Changed, moved from another row, or keyed for another municipality.</exception>
    /// <exception cref="CryptographicException">A legacy row that does not decrypt.</exception>
    public async Task<string> UnprotectAsync(Guid requestId, string ars, string protectedText, CancellationToken ct)
    {
        if (AtRestProtector.IsProtectedText(protectedText)) return (await atRest.UnprotectTextAsync(ars, protectedText, Context(requestId), ct))!;
        var input = Convert.FromBase64String(protectedText);
        var data = new byte[input.Length - 28];
        using var aes = new AesGcm(_legacyKey.Value, 16);
        aes.Decrypt(input.AsSpan(0, 12), input.AsSpan(28), input.AsSpan(12, 16), data, requestId.ToByteArray());
        return Encoding.UTF8.GetString(data);
    }
}
