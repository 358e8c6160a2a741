using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Signing;

namespace IntegrationHub.UnitTests.Signing;

/// <summary>Two self-signed certificates: the hub's (pinned by receivers) and an attacker's (not pinned).</summary>
public sealed class SigningFixture : IDisposable
{
    public SigningFixture()
    {
        Hub = SigningCertificates.CreateSelfSigned("CN=IntegrationHub Test, O=Kommune 099999999999, C=DE");
        Attacker = SigningCertificates.CreateSelfSigned("CN=IntegrationHub Test, O=Kommune 099999999999, C=DE");
        PinnedHub = SigningCertificates.ImportPublicPem(SigningCertificates.ExportPublicPem(Hub));
    }

    /// <summary>Hub certificate with private key.</summary>
    public X509Certificate2 Hub { get; }

    /// <summary>Same subject, different key: what a forger would present.</summary>
    public X509Certificate2 Attacker { get; }

    /// <summary>The hub certificate as a receiver pins it: public part only, imported from PEM.</summary>
    public X509Certificate2 PinnedHub { get; }

    public void Dispose()
    {
        Hub.Dispose();
        Attacker.Dispose();
        PinnedHub.Dispose();
    }
}
