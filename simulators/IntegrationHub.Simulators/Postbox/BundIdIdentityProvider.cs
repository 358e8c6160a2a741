using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace IntegrationHub.Simulators.Postbox;

/// <summary>
/// The BundID login as the online service sees it: after the citizen logged in, the identity provider vouches for how
/// (Basisregistrierung with user name and password = STORK-QAA-Level-1, ELSTER certificate = 3, online ID card = 4) in a
/// signed identification report, which the online service forwards in the FIT-Connect metadata
/// (authenticationInformation, type identificationReport). The report is a compact JWS, RS512, with identifiers and the
/// level only: no name, no address. Its key is made per instance; the receiving side trusts it by configuring
/// <see cref="PublicKeyPem"/>.
/// </summary>
public sealed class BundIdIdentityProvider : IDisposable
{
    public const string DefaultIssuer = "https://id.bund.de/simulated-idp";
    public const string Algorithm = "RS512";

    private static readonly Lazy<BundIdIdentityProvider> SharedInstance = new(() => new BundIdIdentityProvider());
    private readonly RSA _key = RSA.Create(2048);

    /// <summary>
    /// The identity provider of this process: the postbox simulator (BundID) and the simulated online services use it
    /// unless told otherwise, so a hub configured with its key trusts what they send.
    /// </summary>
    public static BundIdIdentityProvider Shared => SharedInstance.Value;

    public string Issuer { get; init; } = DefaultIssuer;

    /// <summary>Key id in the report header.</summary>
    public string KeyId { get; } = "bundid-idp-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The report-signing public key (SubjectPublicKeyInfo PEM), what a receiver configures as trusted.</summary>
    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem();

    /// <summary>"STORK-QAA-Level-N" for N in 1..4.</summary>
    public static string LevelName(int level)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 4);
        return "STORK-QAA-Level-" + level;
    }

    /// <summary>How a BundID login reaches a level (level 2 is not offered by BundID and named generically).</summary>
    public static string AuthenticationMethod(int level) => level switch
    {
        1 => "Benutzername",
        2 => "Sonstiges",
        3 => "ELSTER",
        _ => "eID",
    };

    /// <summary>Issues the signed identification report of one login.</summary>
    /// <param name="level">1..4, the STORK-QAA level of the login.</param>
    /// <param name="reportId">The report's id (jti); deterministic ids keep demo runs reproducible.</param>
    /// <param name="issuedAt">When the citizen logged in.</param>
    public string IssueReport(int level, string reportId, DateTimeOffset issuedAt) => SignCompact(Header(), Claims(level, reportId, issuedAt), _key);

    /// <summary>A report with the same claims signed by another key: what a forged report looks like.</summary>
    public string IssueForgedReport(int level, string reportId, DateTimeOffset issuedAt)
    {
        using var other = RSA.Create(2048);
        return SignCompact(Header(), Claims(level, reportId, issuedAt), other);
    }

    private JsonObject Header() => new() { ["alg"] = Algorithm, ["typ"] = "JWT", ["kid"] = KeyId };

    private JsonObject Claims(int level, string reportId, DateTimeOffset issuedAt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reportId);
        return new JsonObject
        {
            ["iss"] = Issuer,
            ["jti"] = reportId,
            ["iat"] = issuedAt.ToUnixTimeSeconds(),
            ["storkQaaLevel"] = LevelName(level),
            ["authnMethod"] = AuthenticationMethod(level),
        };
    }

    public void Dispose() => _key.Dispose();

    internal static string SignCompact(JsonObject header, JsonObject claims, RSA key)
    {
        var signingInput = Base64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
