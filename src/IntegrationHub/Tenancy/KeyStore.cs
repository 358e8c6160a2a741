using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Signing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Tenancy;

public sealed record DestinationKey(string Kid, RSA Rsa, string Thumbprint);

/// <summary>
/// The hub's private keys: one encryption key per destination, one XMLDSig certificate per
/// municipality and the hub's own signing key for events and access tokens. Generated on first
/// use and kept in the key folder, private parts encrypted with the configured master key.
/// </summary>
public sealed class KeyStore
{
    private readonly string _directory;
    private readonly string _masterKey;
    private readonly int _destinationKeyBits;
    private readonly ConcurrentDictionary<string, Lazy<object>> _cache = new();

    public KeyStore(IOptions<HubOptions> options, ILogger<KeyStore> logger)
    {
        var hub = options.Value;
        _directory = Path.GetFullPath(hub.Keys.Directory ?? Path.Combine(hub.DataDirectory, "keys"));
        Directory.CreateDirectory(_directory);
        _destinationKeyBits = hub.Keys.DestinationKeyBits;
        if (hub.Keys.MasterKey is { Length: > 0 } configured)
        {
            MasterKeyStrength.Require(configured, "configured");
            _masterKey = configured;
        }
        else
        {
            _masterKey = LocalMasterKey(logger);
            MasterKeyStrength.Require(_masterKey, Path.Combine(_directory, "master.key"));
        }
    }

    /// <summary>
    /// The destination's first encryption key (version 1, kid "{id:N}-enc-1"). Which version the destination publishes
    /// and accepts is the key ring's business (Tenancy/Onboarding/KeyRotation/DestinationKeyRing).
    /// </summary>
    public DestinationKey DestinationKey(Guid destinationId) => DestinationKey(destinationId, 1);

    /// <summary>
    /// Version <paramref name="version"/> of the destination's encryption key, made on first use: version 1 in
    /// destination-{id:N}.key.pem (as before key rotation), version n in destination-{id:N}-enc-{n}.key.pem.
    /// </summary>
    public DestinationKey DestinationKey(Guid destinationId, int version)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        var file = version == 1 ? $"destination-{destinationId:N}.key.pem" : $"destination-{destinationId:N}-enc-{version}.key.pem";
        return Get(version == 1 ? $"destination-{destinationId:N}" : $"destination-{destinationId:N}-enc-{version}", () =>
        {
            var rsa = LoadOrCreateRsa(file, _destinationKeyBits);
            return new DestinationKey(DestinationKid(destinationId, version), rsa, Jose.JsonWebKeys.Thumbprint(rsa));
        });
    }

    /// <summary>The kid of a destination key version: "{id:N}-enc-{version}".</summary>
    public static string DestinationKid(Guid destinationId, int version) =>
        $"{destinationId:N}-enc-{version.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The destination's signing key (PS512): signs the accept-submission / reject-submission events the hub, as the
    /// destination's subscriber, posts to a FIT-Connect delivery service, which verifies them against its public part.
    /// </summary>
    public DestinationKey DestinationSigningKey(Guid destinationId) =>
        Get($"destination-signing-{destinationId:N}", () =>
        {
            var rsa = LoadOrCreateRsa($"destination-{destinationId:N}-signing.key.pem", 4096);
            return new DestinationKey($"{destinationId:N}-sig-1", rsa, Jose.JsonWebKeys.Thumbprint(rsa));
        });

    /// <summary>The municipality's certificate for signing XML it hands over (pinned by the receivers).</summary>
    public X509Certificate2 SigningCertificate(string ars) =>
        Get($"signing-{ars}", () =>
        {
            var path = Path.Combine(_directory, $"signing-{ars}.pfx");
            X509Certificate2 certificate;
            if (File.Exists(path)) certificate = SigningCertificates.ImportPfx(File.ReadAllBytes(path), _masterKey);
            else
            {
                certificate = SigningCertificates.CreateSelfSigned($"CN=IntegrationHub Signatur {ars}, O=Kommune {ars}, C=DE", 3072, TimeSpan.FromDays(730));
                WriteAtomically(path, SigningCertificates.ExportPfx(certificate, _masterKey));
                certificate = SigningCertificates.ImportPfx(File.ReadAllBytes(path), _masterKey); // whoever wrote first wins
            }
            // The public certificate beside it, for the receiving procedures to pin.
            var publicPath = Path.Combine(_directory, $"signing-{ars}.crt.pem");
            if (!File.Exists(publicPath))
                WriteAtomically(publicPath, System.Text.Encoding.ASCII.GetBytes(SigningCertificates.ExportPublicPem(certificate)));
            return certificate;
        });

    /// <summary>The hub's own key: signs Security Event Tokens and sender access tokens (PS512).</summary>
    public DestinationKey HubSigningKey =>
        Get("hub-signing", () =>
        {
            var rsa = LoadOrCreateRsa("hub-signing.key.pem", 4096);
            var thumbprint = Jose.JsonWebKeys.Thumbprint(rsa);
            return new DestinationKey(thumbprint, rsa, thumbprint);
        });

    /// <summary>A 256-bit key for encrypting data at rest for one purpose, derived from the master key (HKDF-SHA256).</summary>
    public byte[] DerivedKey(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, System.Text.Encoding.UTF8.GetBytes(_masterKey), 32, info: System.Text.Encoding.UTF8.GetBytes(purpose));

    private T Get<T>(string name, Func<T> create) where T : class =>
        (T)_cache.GetOrAdd(name, _ => new Lazy<object>(() => create(), LazyThreadSafetyMode.ExecutionAndPublication)).Value;

    private RSA LoadOrCreateRsa(string fileName, int bits)
    {
        var path = Path.Combine(_directory, fileName);
        var rsa = RSA.Create();
        if (File.Exists(path))
        {
            rsa.ImportFromEncryptedPem(File.ReadAllText(path), _masterKey);
            return rsa;
        }
        rsa.KeySize = bits;
        var pem = rsa.ExportEncryptedPkcs8PrivateKeyPem(_masterKey,
            new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000));
        WriteAtomically(path, System.Text.Encoding.ASCII.GetBytes(pem));
        rsa.ImportFromEncryptedPem(File.ReadAllText(path), _masterKey); // whoever wrote first wins
        return rsa;
    }

    private static void WriteAtomically(string path, byte[] content)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        File.WriteAllBytes(temp, content);
        try { File.Move(temp, path, overwrite: false); }
        catch (IOException) when (File.Exists(path)) { File.Delete(temp); } // another process won the race; its key stands
    }

    // The embedded default has no secret store; it keeps a random master key beside the keys.
    private string LocalMasterKey(ILogger logger)
    {
        var path = Path.Combine(_directory, "master.key");
        if (!File.Exists(path))
        {
            logger.LogWarning("No Hub:Keys:MasterKey configured; generated a local master key file for the embedded default");
            WriteAtomically(path, System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));
        }
        return File.ReadAllText(path).Trim();
    }
}
