using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Delivery;

namespace IntegrationHub.Adapters.Postbox;

/// <summary>
/// Where and at which trust level a citizen is written to, from the submission's FIT-Connect metadata: the BundID
/// postbox in <c>replyChannel.idBundDeMailbox.mailboxUuid</c> and the level of the login in the identification report
/// (<c>authenticationInformation[type=identificationReport].content</c>, a JWS of the BundID identity provider).
/// </summary>
/// <param name="MailboxUuid">The postbox (ZBP Postkorb-Handle); null when the citizen gave none.</param>
/// <param name="TrustLevel">STORK-QAA level 1..4 the citizen logged in with, as far as the hub can verify it.</param>
public sealed record CitizenPostbox(Guid? MailboxUuid, int TrustLevel)
{
    public const string IdentificationReportType = "identificationReport";

    /// <exception cref="PermanentDeliveryException">The reply channel names a postbox that is not a UUID.</exception>
    public static CitizenPostbox From(JsonObject metadata, IdentityProviderTrust trust) =>
        new(MailboxOf(metadata), TrustLevelOf(metadata, trust));

    public static Guid? MailboxOf(JsonObject metadata)
    {
        if ((metadata["replyChannel"] as JsonObject)?["idBundDeMailbox"] is not JsonObject postbox) return null;
        var value = postbox["mailboxUuid"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        return Guid.TryParseExact(value, "D", out var uuid) && uuid != Guid.Empty
            ? uuid
            : throw new PermanentDeliveryException("replyChannel.idBundDeMailbox.mailboxUuid is not a UUID.");
    }

    /// <summary>
    /// The lowest level among the verified identification reports; level 1 when there is none, or none is signed by the
    /// trusted identity provider, or none names a valid level. Never a level the hub cannot prove.
    /// </summary>
    public static int TrustLevelOf(JsonObject metadata, IdentityProviderTrust trust)
    {
        if (trust.Key is null || metadata["authenticationInformation"] is not JsonArray records) return StorkQaaLevel.Lowest;
        int? lowest = null;
        foreach (var record in records.OfType<JsonObject>())
        {
            if (Str(record["type"]) != IdentificationReportType) continue;
            if (CompactJws.Verify(Str(record["content"]), trust.Key) is not { } report) continue;
            if (trust.Issuer is { Length: > 0 } issuer && Str(report.Claims["iss"]) != issuer) continue;
            if (!StorkQaaLevel.TryParse(Str(report.Claims["storkQaaLevel"]), out var level)) continue;
            lowest = Math.Min(lowest ?? level, level);
        }
        return lowest ?? StorkQaaLevel.Lowest;
    }

    private static string? Str(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
}

/// <summary>The identity provider whose identification reports the hub believes (from <see cref="PostboxOptions"/>).</summary>
public sealed class IdentityProviderTrust
{
    public static readonly IdentityProviderTrust None = new(null, null);

    private IdentityProviderTrust(RSA? key, string? issuer)
    {
        Key = key;
        Issuer = issuer;
    }

    public RSA? Key { get; }
    public string? Issuer { get; }

    /// <summary>From a PEM public key or certificate; <see cref="None"/> when there is none.</summary>
    /// <exception cref="InvalidOperationException">The configured key is not an RSA public key or certificate in PEM.</exception>
    public static IdentityProviderTrust FromPem(string? pem, string? issuer)
    {
        if (string.IsNullOrWhiteSpace(pem)) return None;
        try
        {
            if (pem.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal))
            {
                using var certificate = X509Certificate2.CreateFromPem(pem);
                return new IdentityProviderTrust(certificate.GetRSAPublicKey(), issuer);
            }
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new IdentityProviderTrust(rsa, issuer);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException("IdentityProviderKey is not an RSA public key or certificate in PEM.", e);
        }
    }
}
