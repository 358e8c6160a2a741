using System.Security.Cryptography;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Tenancy;
using IntegrationHub.UnitTests.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IntegrationHub.UnitTests.Tenancy;

/// <summary>The hub's private keys: generated once, kept encrypted at rest, the same after a restart.</summary>
public sealed class KeyStoreTests : IDisposable
{
    private static readonly string MasterKey = TestMasterKeys.Default;
    private readonly TempDirectory _directory = new("keys");

    public void Dispose() => _directory.Dispose();

    private string KeyFolder => _directory.Combine("keys");

    private KeyStore Store(int bits = 2048) => Store(MasterKey, bits);

    private KeyStore Store(string? masterKey, int bits = 2048) =>
        new(Options.Create(new HubOptions
        {
            DataDirectory = _directory.Path,
            Keys = { Directory = KeyFolder, MasterKey = masterKey, DestinationKeyBits = bits },
        }), NullLogger<KeyStore>.Instance);

    [Fact]
    public void Destination_key_survives_a_restart()
    {
        var destination = Guid.NewGuid();
        var first = Store().DestinationKey(destination);

        var second = Store().DestinationKey(destination);

        second.Kid.Should().Be(first.Kid).And.Be($"{destination:N}-enc-1");
        second.Thumbprint.Should().Be(first.Thumbprint);
        second.Rsa.ExportParameters(false).Modulus.Should().Equal(first.Rsa.ExportParameters(false).Modulus);
        second.Rsa.KeySize.Should().Be(2048, "DestinationKeyBits is honoured");
    }

    [Fact]
    public void Destination_key_thumbprint_is_the_RFC_7638_thumbprint_a_sender_computes()
    {
        var key = Store().DestinationKey(Guid.NewGuid());
        using var published = RSA.Create();
        published.ImportParameters(key.Rsa.ExportParameters(false));

        key.Thumbprint.Should().Be(Jwk.Thumbprint(published));
    }

    [Fact]
    public void Destination_key_decrypts_what_was_encrypted_to_it_after_a_restart()
    {
        var destination = Guid.NewGuid();
        using var published = RSA.Create();
        published.ImportParameters(Store().DestinationKey(destination).Rsa.ExportParameters(false));
        var jwe = JweEncryptor.Encrypt("Antrag"u8, published, "kid");

        var plaintext = global::IntegrationHub.Jose.JweDecryptor.Decrypt(jwe, Store().DestinationKey(destination).Rsa).Plaintext;

        plaintext.Should().Equal("Antrag"u8.ToArray());
    }

    [Fact]
    public void Each_destination_has_its_own_key_and_one_store_returns_the_same_instance()
    {
        var store = Store();
        var a = Guid.NewGuid();

        var first = store.DestinationKey(a);

        store.DestinationKey(a).Should().BeSameAs(first);
        store.DestinationKey(Guid.NewGuid()).Thumbprint.Should().NotBe(first.Thumbprint);
    }

    [Fact]
    public void Private_key_file_is_an_encrypted_PEM()
    {
        var destination = Guid.NewGuid();
        Store().DestinationKey(destination);

        var text = File.ReadAllText(Path.Combine(KeyFolder, $"destination-{destination:N}.key.pem"));

        text.Should().Contain("-----BEGIN ENCRYPTED PRIVATE KEY-----")
            .And.NotContain("BEGIN PRIVATE KEY")
            .And.NotContain("BEGIN RSA PRIVATE KEY");
        Directory.EnumerateFiles(KeyFolder).Should().NotContain(f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Wrong_master_key_fails_to_load_the_destination_key()
    {
        var destination = Guid.NewGuid();
        Store().DestinationKey(destination);

        var act = () => Store(masterKey: TestMasterKeys.Other).DestinationKey(destination);

        act.Should().Throw<CryptographicException>();
    }

    [Fact]
    public void Without_a_configured_master_key_a_local_one_is_kept_beside_the_keys()
    {
        var destination = Guid.NewGuid();
        var first = Store(masterKey: null).DestinationKey(destination);

        var second = Store(masterKey: null).DestinationKey(destination);

        second.Thumbprint.Should().Be(first.Thumbprint);
        File.Exists(Path.Combine(KeyFolder, "master.key")).Should().BeTrue();
        File.ReadAllText(Path.Combine(KeyFolder, $"destination-{destination:N}.key.pem")).Should().Contain("ENCRYPTED PRIVATE KEY");
    }

    [Fact]
    public void Key_folder_defaults_to_keys_under_the_data_directory()
    {
        var store = new KeyStore(Options.Create(new HubOptions
        {
            DataDirectory = _directory.Combine("daten"),
            Keys = { MasterKey = MasterKey, DestinationKeyBits = 2048 },
        }), NullLogger<KeyStore>.Instance);
        var destination = Guid.NewGuid();

        store.DestinationKey(destination);

        File.Exists(_directory.Combine("daten", "keys", $"destination-{destination:N}.key.pem")).Should().BeTrue();
    }

    [Fact]
    public void Signing_certificate_per_municipality_survives_a_restart()
    {
        const string ars = "064350014014";
        const string otherArs = "064120000000";
        var store = Store();
        var first = store.SigningCertificate(ars);
        var other = store.SigningCertificate(otherArs);

        var again = Store().SigningCertificate(ars);

        first.HasPrivateKey.Should().BeTrue();
        first.Subject.Should().Contain(ars);
        again.Thumbprint.Should().Be(first.Thumbprint);
        again.HasPrivateKey.Should().BeTrue();
        other.Thumbprint.Should().NotBe(first.Thumbprint);
        store.SigningCertificate(ars).Should().BeSameAs(first);
        File.Exists(Path.Combine(KeyFolder, $"signing-{ars}.pfx")).Should().BeTrue();

        var wrongMaster = () => Store(masterKey: TestMasterKeys.Other).SigningCertificate(ars);
        wrongMaster.Should().Throw<CryptographicException>();
    }
}
