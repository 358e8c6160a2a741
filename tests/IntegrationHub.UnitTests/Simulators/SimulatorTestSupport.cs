using System.Buffers.Text;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;
using IntegrationHub.Contracts;
using IntegrationHub.Simulators.EfA;

namespace IntegrationHub.UnitTests.Simulators;

/// <summary>An attachment entry of a test handover: signed metadata, and the content inline or (null) in its own part.</summary>
internal sealed record TestAnlage(Guid AnlageId, string FileName, string MimeType, string Sha512, long Size, byte[]? InlineContent)
{
    public static TestAnlage Inline(Guid id, string fileName, string mimeType, byte[] content) =>
        new(id, fileName, mimeType, Convert.ToHexStringLower(SHA512.HashData(content)), content.Length, content);

    public static TestAnlage Referenced(Guid id, string fileName, string mimeType, byte[] content) =>
        new(id, fileName, mimeType, Convert.ToHexStringLower(SHA512.HashData(content)), content.Length, null);
}

/// <summary>Shared helpers of the simulator tests: schema validation, handover building and signing, JWE decryption.</summary>
internal static class SimulatorTestSupport
{
    public const string Ars = "064350014014";
    public const string Plz = "63067";
    public const string Ort = "Musterstadt";

    private static readonly Lazy<XmlSchemaSet> Schemas = new(XoevSchemas.Load);

    private static readonly XNamespace Ihc = ApplicationFactory.CommonNamespace;
    private static readonly XNamespace Fall = "urn:integrationhub:xoev:fall:1.0";

    /// <summary>Schema errors of a document (empty when valid).</summary>
    public static IReadOnlyList<string> SchemaErrors(byte[] xml)
    {
        var errors = new List<string>();
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            ValidationType = ValidationType.Schema,
            Schemas = Schemas.Value,
            ValidationFlags = XmlSchemaValidationFlags.ReportValidationWarnings,
        };
        settings.ValidationEventHandler += (_, e) => errors.Add($"{e.Severity}: {e.Message}");
        lock (Schemas)
        {
            using var reader = XmlReader.Create(new MemoryStream(xml), settings);
            while (reader.Read())
            {
            }
        }

        return errors;
    }

    /// <summary>A self-signed RSA signing certificate like the hub's per-municipality one.</summary>
    public static X509Certificate2 CreateSigningCertificate(string commonName)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}, O=IntegrationHub Test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>
    /// Builds an unsigned fall.uebergabe.0001 around an application. By default the application's attachments are
    /// inline (<c>inhalt</c>); with <paramref name="anlagen"/> the given entries are written instead (referenced ones as
    /// <c>inhaltReferenz</c> = <c>cid:{anlageId}</c>, as the hub does).
    /// </summary>
    public static XDocument BuildHandover(DemoApplication application, Guid submissionId, string authorArs, string zielsystem, IReadOnlyList<TestAnlage>? anlagen = null)
    {
        var antrag = XDocument.Load(new MemoryStream(application.Xml)).Root!;
        anlagen ??= application.Attachments.Select(a => TestAnlage.Inline(a.AttachmentId, a.FileName, a.MimeType, a.Content)).ToList();
        var anlageElements = anlagen.Select(a => new XElement(
            Fall + "anlage",
            new XElement(Fall + "anlageId", a.AnlageId.ToString()),
            new XElement(Fall + "dateiname", a.FileName),
            new XElement(Fall + "mimeType", a.MimeType),
            new XElement(Fall + "hashSha512", a.Sha512),
            new XElement(Fall + "groesseBytes", a.Size.ToString(CultureInfo.InvariantCulture)),
            a.InlineContent is null
                ? new XElement(Fall + "inhaltReferenz", "cid:" + a.AnlageId)
                : new XElement(Fall + "inhalt", Convert.ToBase64String(a.InlineContent))));

        var root = new XElement(
            Fall + "fall.uebergabe.0001",
            new XAttribute(XNamespace.Xmlns + "fall", Fall),
            new XAttribute(XNamespace.Xmlns + "ihc", Ihc),
            new XElement(
                Fall + "nachrichtenkopf",
                new XElement(Ihc + "nachrichtUUID", Guid.NewGuid().ToString()),
                new XElement(Ihc + "nachrichtentyp", new XElement(Ihc + "code", "fall.uebergabe.0001")),
                new XElement(Ihc + "erstellungszeitpunkt", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
                new XElement(
                    Ihc + "autor",
                    new XElement(Ihc + "verzeichnisdienst", new XElement(Ihc + "code", "ARS")),
                    new XElement(Ihc + "kennung", authorArs),
                    new XElement(Ihc + "name", "Kommune Musterstadt (IntegrationHub)")),
                new XElement(
                    Ihc + "leser",
                    new XElement(Ihc + "verzeichnisdienst", new XElement(Ihc + "code", "FACHVERFAHREN")),
                    new XElement(Ihc + "kennung", zielsystem),
                    new XElement(Ihc + "name", zielsystem))),
            new XElement(
                Fall + "fall",
                new XElement(Fall + "submissionId", submissionId.ToString()),
                new XElement(Fall + "caseId", Guid.NewGuid().ToString()),
                new XElement(Fall + "eingangszeitpunkt", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
                new XElement(Fall + "leikaSchluessel", application.LeikaKey),
                new XElement(Fall + "ars", authorArs),
                new XElement(Fall + "zielsystem", zielsystem)),
            new XElement(Fall + "antrag", antrag),
            new XElement(Fall + "anlagen", anlageElements));
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root);
    }

    /// <summary>
    /// A handover container as a sender builds it by hand: multipart/related with the signed XML first, then the given
    /// parts (Content-ID, media type, content) in order.
    /// </summary>
    public static MultipartContent Container(byte[] signedXml, IEnumerable<(string ContentId, string MediaType, HttpContent Content)> parts, string start = "<handover>")
    {
        var container = new MultipartContent("related", "test-" + Guid.NewGuid().ToString("N"));
        container.Headers.ContentType!.Parameters.Add(new System.Net.Http.Headers.NameValueHeaderValue("type", "\"application/xml\""));
        container.Headers.ContentType.Parameters.Add(new System.Net.Http.Headers.NameValueHeaderValue("start", $"\"{start}\""));
        var xml = new ByteArrayContent(signedXml);
        xml.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/xml") { CharSet = "utf-8" };
        xml.Headers.TryAddWithoutValidation("Content-ID", "<handover>");
        container.Add(xml);
        foreach (var (contentId, mediaType, content) in parts)
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(mediaType);
            content.Headers.TryAddWithoutValidation("Content-ID", contentId);
            container.Add(content);
        }

        return container;
    }

    /// <summary>Enveloped XMLDSig: exc-c14n, rsa-sha256, sha256, Reference URI="", certificate in KeyInfo.</summary>
    public static byte[] Sign(XDocument handover, X509Certificate2 certificate)
    {
        var doc = new XmlDocument { PreserveWhitespace = true };
        using (var reader = handover.CreateReader())
        {
            doc.Load(reader);
        }

        using var key = certificate.GetRSAPrivateKey()!;
        var signed = new SignedXml(doc) { SigningKey = key };
        signed.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signed.SignedInfo.SignatureMethod = SignedXml.XmlDsigRSASHA256Url;
        var reference = new Reference(string.Empty) { DigestMethod = SignedXml.XmlDsigSHA256Url };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigExcC14NTransform());
        signed.AddReference(reference);
        var keyInfo = new KeyInfo();
        keyInfo.AddClause(new KeyInfoX509Data(certificate));
        signed.KeyInfo = keyInfo;
        signed.ComputeSignature();
        doc.DocumentElement!.AppendChild(doc.ImportNode(signed.GetXml(), true));

        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false) }))
        {
            doc.Save(writer);
        }

        return stream.ToArray();
    }

    /// <summary>Decrypts a compact JWE (RSA-OAEP-256, A256GCM, optional zip DEF) and returns header and plaintext.</summary>
    public static (JsonObject Header, byte[] Plaintext) DecryptJwe(string compact, RSA privateKey)
    {
        var parts = compact.Split('.');
        parts.Should().HaveCount(5, "a compact JWE has five parts");
        var header = (JsonObject)JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!;
        header["alg"]!.GetValue<string>().Should().Be("RSA-OAEP-256");
        header["enc"]!.GetValue<string>().Should().Be("A256GCM");
        var cek = privateKey.Decrypt(Base64Url.DecodeFromChars(parts[1]), RSAEncryptionPadding.OaepSHA256);
        var iv = Base64Url.DecodeFromChars(parts[2]);
        var ciphertext = Base64Url.DecodeFromChars(parts[3]);
        var tag = Base64Url.DecodeFromChars(parts[4]);
        var plaintext = new byte[ciphertext.Length];
        using (var gcm = new AesGcm(cek, 16))
        {
            gcm.Decrypt(iv, ciphertext, tag, plaintext, Encoding.ASCII.GetBytes(parts[0]));
        }

        if (header["zip"]?.GetValue<string>() == "DEF")
        {
            using var inflated = new MemoryStream();
            using (var deflate = new DeflateStream(new MemoryStream(plaintext), CompressionMode.Decompress))
            {
                deflate.CopyTo(inflated);
            }

            plaintext = inflated.ToArray();
        }

        return (header, plaintext);
    }

    /// <summary>The public JWK of an RSA key as a FIT-Connect destination publishes it.</summary>
    public static JsonObject PublicJwk(RSA rsa, string kid)
    {
        var p = rsa.ExportParameters(false);
        return new JsonObject
        {
            ["kty"] = "RSA",
            ["n"] = Base64Url.EncodeToString(p.Modulus),
            ["e"] = Base64Url.EncodeToString(p.Exponent),
            ["alg"] = "RSA-OAEP-256",
            ["use"] = "enc",
            ["key_ops"] = new JsonArray("wrapKey"),
            ["kid"] = kid,
        };
    }
}
