using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using IntegrationHub.Jose;

namespace IntegrationHub.Adapters.Postbox;

/// <summary>
/// How the municipality proves authorship to the postbox: a short-lived author token (RS512 JWT, <c>iss</c> the
/// municipality's ARS, <c>aud</c> the postbox, <c>jti</c> the message id) and a detached signature over the exact
/// request body, both made with the key of its signing certificate, which travels with the call (the author
/// certificate) so the postbox can check both against the certificate it registered for the municipality.
/// </summary>
public static class AuthorToken
{
    public const string CertificateHeader = "X-Author-Certificate";
    public const string ContentSignatureHeader = "X-Content-Signature";

    public static string Create(X509Certificate2 certificate, string issuer, string audience, string jti, DateTimeOffset now, TimeSpan lifetime)
    {
        using var key = PrivateKey(certificate);
        var claims = new JsonObject
        {
            ["iss"] = issuer,
            ["aud"] = audience,
            ["jti"] = jti,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + lifetime).ToUnixTimeSeconds(),
        };
        return CompactJws.Sign(Header(certificate, "JWT"), claims, key);
    }

    /// <summary>The detached JWS over the request body.</summary>
    public static string SignContent(X509Certificate2 certificate, ReadOnlySpan<byte> body)
    {
        using var key = PrivateKey(certificate);
        return CompactJws.SignDetached(Header(certificate, null), body, key);
    }

    /// <summary>The author certificate as sent: base64 DER of the public certificate.</summary>
    public static string EncodeCertificate(X509Certificate2 certificate) => Convert.ToBase64String(certificate.RawData);

    private static JsonObject Header(X509Certificate2 certificate, string? typ)
    {
        var header = new JsonObject
        {
            ["alg"] = CompactJws.Algorithm,
            ["x5t#S256"] = Base64UrlStrict.Encode(SHA256.HashData(certificate.RawData)),
        };
        if (typ is not null) header["typ"] = typ;
        return header;
    }

    private static RSA PrivateKey(X509Certificate2 certificate) =>
        certificate.GetRSAPrivateKey() ?? throw new InvalidOperationException("The municipality's signing certificate has no RSA private key.");
}
