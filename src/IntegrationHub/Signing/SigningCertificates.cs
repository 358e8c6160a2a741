using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IntegrationHub.Signing;

/// <summary>Signing certificates: creation (self-signed, for pinning), PEM and PKCS#12 import/export.</summary>
public static class SigningCertificates
{
    /// <summary>
    /// Self-signed RSA certificate with private key for XML signatures. <paramref name="subjectName"/> is a
    /// distinguished name ("CN=..., O=...") or a bare common name. Default validity: 2 years.
    /// </summary>
    public static X509Certificate2 CreateSelfSigned(string subjectName, int rsaBits = 3072, TimeSpan? validity = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subjectName);
        if (rsaBits < XmlDsigProfile.MinimumRsaBits)
        {
            throw new ArgumentOutOfRangeException(nameof(rsaBits), $"RSA keys must have at least {XmlDsigProfile.MinimumRsaBits} bits.");
        }

        var lifetime = validity ?? TimeSpan.FromDays(730);
        if (lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(validity), "Validity must be positive.");
        }

        var dn = new X500DistinguishedName(subjectName.Contains('=') ? subjectName : "CN=" + subjectName);
        using var rsa = RSA.Create(rsaBits);
        var request = new CertificateRequest(dn, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.Add(lifetime));
    }

    public static string ExportPublicPem(X509Certificate2 c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return c.ExportCertificatePem();
    }

    /// <summary>Imports the first CERTIFICATE block of a PEM text (public part only).</summary>
    public static X509Certificate2 ImportPublicPem(string pem)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pem);
        var remaining = pem.AsSpan();
        while (PemEncoding.TryFind(remaining, out var fields))
        {
            if (remaining[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                var der = Convert.FromBase64String(remaining[fields.Base64Data].ToString());
                return X509CertificateLoader.LoadCertificate(der);
            }

            remaining = remaining[fields.Location.End..];
        }

        throw new CryptographicException("PEM text contains no CERTIFICATE block.");
    }

    /// <summary>PKCS#12 with AES-256/PBKDF2-SHA256 protection (not the legacy 3DES/RC2 default).</summary>
    public static byte[] ExportPfx(X509Certificate2 c, string password)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentException.ThrowIfNullOrEmpty(password);
        if (!c.HasPrivateKey)
        {
            throw new ArgumentException("Certificate has no private key.", nameof(c));
        }

        return c.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password);
    }

    public static X509Certificate2 ImportPfx(byte[] pfx, string password)
    {
        ArgumentNullException.ThrowIfNull(pfx);
        ArgumentNullException.ThrowIfNull(password);

        // Ephemeral: the key lives in memory only, nothing is written to a user key store.
        return X509CertificateLoader.LoadPkcs12(pfx, password, X509KeyStorageFlags.EphemeralKeySet);
    }
}
