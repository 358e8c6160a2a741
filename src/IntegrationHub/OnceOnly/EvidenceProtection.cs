using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Tenancy;

namespace IntegrationHub.OnceOnly;

/// <summary>
/// Encrypts personal data of evidence requests at rest (AES-256-GCM, key derived from Hub:Keys:MasterKey); the request id
/// is the associated data, so a ciphertext moved to another row does not decrypt.
/// </summary>
public sealed class EvidenceProtection(KeyStore keys)
{
    private const string Purpose = "integrationhub:evidence-requests:v1";
    private readonly Lazy<byte[]> _key = new(() => keys.DerivedKey(Purpose));

    public string Protect(Guid requestId, string plaintext)
    {
        var data = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[12 + 16 + data.Length];
        var nonce = output.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key.Value, 16);
        aes.Encrypt(nonce, data, output.AsSpan(28), output.AsSpan(12, 16), requestId.ToByteArray());
        return Convert.ToBase64String(output);
    }

    public string Unprotect(Guid requestId, string protectedText)
    {
        var input = Convert.FromBase64String(protectedText);
        var data = new byte[input.Length - 28];
        using var aes = new AesGcm(_key.Value, 16);
        aes.Decrypt(input.AsSpan(0, 12), input.AsSpan(28), input.AsSpan(12, 16), data, requestId.ToByteArray());
        return Encoding.UTF8.GetString(data);
    }
}
