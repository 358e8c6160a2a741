using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Signing;

namespace IntegrationHub.UnitTests.Signing;

public sealed class SigningCertificatesTests(SigningFixture certs) : IClassFixture<SigningFixture>
{
    [Fact]
    public void Self_signed_certificate_has_the_requested_subject_key_and_validity()
    {
        var cert = certs.Hub;

        cert.Subject.Should().Contain("CN=IntegrationHub Test").And.Contain("C=DE");
        cert.HasPrivateKey.Should().BeTrue();
        using var key = cert.GetRSAPublicKey();
        key!.KeySize.Should().Be(3072);
        cert.NotAfter.Should().BeCloseTo(DateTime.Now.AddDays(730), TimeSpan.FromHours(1));
    }

    [Fact]
    public void Public_PEM_round_trip_keeps_the_certificate_and_drops_the_key()
    {
        var pem = SigningCertificates.ExportPublicPem(certs.Hub);

        using var imported = SigningCertificates.ImportPublicPem(pem);

        pem.Should().StartWith("-----BEGIN CERTIFICATE-----").And.NotContain("PRIVATE KEY");
        imported.Thumbprint.Should().Be(certs.Hub.Thumbprint);
        imported.HasPrivateKey.Should().BeFalse();
    }

    [Fact]
    public void PFX_round_trip_keeps_the_private_key_and_needs_the_password()
    {
        var pfx = SigningCertificates.ExportPfx(certs.Hub, "correct horse");

        using var imported = SigningCertificates.ImportPfx(pfx, "correct horse");

        imported.Thumbprint.Should().Be(certs.Hub.Thumbprint);
        imported.HasPrivateKey.Should().BeTrue();
        ((Action)(() => SigningCertificates.ImportPfx(pfx, "wrong"))).Should().Throw<CryptographicException>();
    }

    [Fact]
    public void Bare_common_name_and_small_keys()
    {
        using var cert = SigningCertificates.CreateSelfSigned("Test Behoerde", 2048, TimeSpan.FromDays(1));

        cert.Subject.Should().Be("CN=Test Behoerde");
        ((Action)(() => SigningCertificates.CreateSelfSigned("x", 1024))).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void PEM_without_certificate_is_refused()
    {
        ((Action)(() => SigningCertificates.ImportPublicPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"))).Should().Throw<CryptographicException>();
    }
}
