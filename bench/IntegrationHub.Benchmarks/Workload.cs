using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml;
using IntegrationHub.Delivery;
using IntegrationHub.Jose;
using IntegrationHub.Ledger;
using IntegrationHub.Signing;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Validation;

namespace IntegrationHub.Benchmarks;

/// <summary>
/// One realistic submission as the hub receives it: by default the end-to-end load test's Sozialhilfe application to
/// Offenbach (routed to the Prosoz-like procedure), or a Wohngeld application (the micro-benchmarks' contract), from the
/// simulators' ApplicationFactory with one ~200 KB attachment, metadata as the EfA online service builds it, all three
/// encrypted as the sender does (RSA-OAEP-256 with the destination's 4096-bit key, A256GCM), plus the municipality's
/// XMLDSig certificate and the hub's SET key.
/// </summary>
public sealed class Workload : IDisposable
{
    public const int AttachmentBytes = 200 * 1024;
    public const long MaxXmlCharacters = 16 * 1024 * 1024;
    public const string Ars = "064130000000";

    public Workload(bool wohngeld = false, int seed = 7)
    {
        var application = wohngeld
            ? ApplicationFactory.Wohngeld(Ars, "63065", "Offenbach am Main", seed, withAttachment: true)
            : ApplicationFactory.Sozialhilfe(Ars, "63065", "Offenbach am Main", seed, withAttachment: true);
        Kind = wohngeld ? $"Wohngeld (ApplicationFactory.Wohngeld, seed {seed})" : $"Sozialhilfe (ApplicationFactory.Sozialhilfe, seed {seed}), as in the end-to-end load test";
        var random = new Random(seed);
        var content = new byte[AttachmentBytes];
        random.NextBytes(content); // incompressible like a scanned PDF
        var attachment = application.Attachments[0] with { Content = content };
        Application = application with { Attachments = [attachment] };
        Xml = Application.Xml;
        Attachment = content;

        using var http = new HttpClient { BaseAddress = new Uri("http://hub.invalid/") };
        var metadata = new EfaOnlineService(http, "efa-onlinedienst-demo", "secret").BuildMetadata(Application);
        Metadata = Encoding.UTF8.GetBytes(metadata.ToJsonString());

        DestinationKey = RSA.Create(4096);
        MetadataJwe = JweEncryptor.Encrypt(Metadata, DestinationKey, "dest-key-1");
        DataJwe = JweEncryptor.Encrypt(Xml, DestinationKey, "dest-key-1", cty: "application/xml");
        AttachmentJwe = JweEncryptor.Encrypt(Attachment, DestinationKey, "dest-key-1", cty: "application/pdf");

        SigningCertificate = SigningCertificates.CreateSelfSigned("CN=Stadt Offenbach am Main, O=IntegrationHub Benchmark");
        SetKey = RSA.Create(4096);
        SetSigner = new SecurityEventTokenSigner(SetKey, "set-key-1", "https://hub.example");

        var submission = new Submission
        {
            Id = Guid.NewGuid(), CaseId = Guid.NewGuid(), DestinationId = Guid.NewGuid(), Ars = Ars,
            SenderClientId = "efa-onlinedienst-demo", LeikaKey = Application.LeikaKey, ServiceName = Application.ServiceName,
            CreatedAt = DateTimeOffset.UtcNow, SubmittedAt = DateTimeOffset.UtcNow,
        };
        var parsed = XmlContractValidator.LoadAndValidate(Xml, MaxXmlCharacters);
        var verified = new[] { new VerifiedAttachment(attachment.AttachmentId, attachment.FileName, attachment.MimeType, Sha512Hex.Compute(content), content.Length) };
        Handover = CaseHandover.Build(Guid.NewGuid(), submission, parsed, verified, wohngeld ? "marius" : "prosoz", "Stadt Offenbach am Main", DateTimeOffset.UtcNow);
    }

    public DemoApplication Application { get; }
    public string Kind { get; }
    public byte[] Xml { get; }
    public byte[] Attachment { get; }
    public byte[] Metadata { get; }
    public RSA DestinationKey { get; }
    public string MetadataJwe { get; }
    public string DataJwe { get; }
    public string AttachmentJwe { get; }
    public X509Certificate2 SigningCertificate { get; }
    public RSA SetKey { get; }
    public SecurityEventTokenSigner SetSigner { get; }
    /// <summary>The unsigned fall.uebergabe.0001 for one target (clone it before signing: a document is signed once).</summary>
    public XmlDocument Handover { get; }

    /// <summary>Compact JWE decryption with .NET primitives only: RSA-OAEP-256 unwrap of the CEK, AES-256-GCM decrypt.</summary>
    public static byte[] DecryptJwe(string compact, RSA key)
    {
        var parts = compact.Split('.');
        if (parts.Length != 5) throw new CryptographicException("not a compact JWE");
        var cek = key.Decrypt(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]), RSAEncryptionPadding.OaepSHA256);
        var iv = System.Buffers.Text.Base64Url.DecodeFromChars(parts[2]);
        var ciphertext = System.Buffers.Text.Base64Url.DecodeFromChars(parts[3]);
        var tag = System.Buffers.Text.Base64Url.DecodeFromChars(parts[4]);
        var plaintext = new byte[ciphertext.Length];
        using var aes = new AesGcm(cek, tag.Length);
        aes.Decrypt(iv, ciphertext, tag, plaintext, Encoding.ASCII.GetBytes(parts[0]));
        return plaintext;
    }

    public void Dispose()
    {
        DestinationKey.Dispose();
        SetKey.Dispose();
        SigningCertificate.Dispose();
    }
}
