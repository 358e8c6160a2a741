using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Jose;
using IntegrationHub.Simulators.Crypto;

namespace IntegrationHub.UnitTests.Jose;

/// <summary>Simulator (sender) encrypts, hub (delivery service) decrypts: two independent implementations must agree.</summary>
public sealed class JweRoundTripTests(RsaKeysFixture keys) : IClassFixture<RsaKeysFixture>
{
    public static TheoryData<bool, bool, string?> Variants => new()
    {
        // compress, kid is the RFC 7638 thumbprint (else a plain key id), cty
        { false, false, "application/json" },
        { true, false, "application/json" },
        { false, true, "application/xml" },
        { true, true, "application/xml" },
        { false, false, null },
        { true, true, null },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Simulator_encrypted_JWE_decrypts_in_the_hub(bool compress, bool kidIsThumbprint, string? cty)
    {
        using var publicKey = keys.RecipientPublicOnly();
        var kid = kidIsThumbprint ? Jwk.Thumbprint(publicKey) : "0f6e9a51-enc-1";
        var plaintext = Encoding.UTF8.GetBytes("""{"data":"Antrag auf Wohngeld","betrag":"123,45 €"}""" + new string(' ', 2000));

        var compact = JweEncryptor.Encrypt(plaintext, publicKey, kid, cty, compress);
        var result = JweDecryptor.Decrypt(compact, keys.Recipient);

        result.Plaintext.Should().Equal(plaintext);
        result.Header.Alg.Should().Be("RSA-OAEP-256");
        result.Header.Enc.Should().Be("A256GCM");
        result.Header.Kid.Should().Be(kid);
        result.Header.Cty.Should().Be(cty);
        result.Header.Zip.Should().Be(compress ? "DEF" : null);
        result.AuthenticationTag.Should().Be(compact.Split('.')[4]);
        Jwe.ReadHeader(compact).Kid.Should().Be(kid);
    }

    [Fact]
    public void Hub_and_simulator_compute_the_same_thumbprint_for_the_published_key()
    {
        using var publicKey = keys.RecipientPublicOnly();

        JsonWebKeys.Thumbprint(keys.Recipient).Should().Be(Jwk.Thumbprint(publicKey));
    }

    [Fact]
    public void Large_random_plaintext_round_trips_with_and_without_compression()
    {
        using var publicKey = keys.RecipientPublicOnly();
        var plaintext = RandomNumberGenerator.GetBytes(1024 * 1024);

        foreach (var compress in new[] { false, true })
        {
            var compact = JweEncryptor.Encrypt(plaintext, publicKey, "k", compress: compress);
            JweDecryptor.Decrypt(compact, keys.Recipient).Plaintext.Should().Equal(plaintext);
        }
    }

    [Fact]
    public void Empty_plaintext_round_trips()
    {
        using var publicKey = keys.RecipientPublicOnly();

        var compact = JweEncryptor.Encrypt([], publicKey, "k");

        JweDecryptor.Decrypt(compact, keys.Recipient).Plaintext.Should().BeEmpty();
    }

    [Fact]
    public void Sender_using_the_published_JWK_reaches_the_hub()
    {
        var jwk = JsonWebKeys.ToPublicEncryptionJwk(keys.Recipient, "dest-enc-1");
        using var senderView = Jwk.ImportPublic(jwk);

        var compact = JweEncryptor.Encrypt("hallo"u8, senderView, (string?)jwk["kid"]);

        Encoding.UTF8.GetString(JweDecryptor.Decrypt(compact, keys.Recipient).Plaintext).Should().Be("hallo");
    }

    [Fact]
    public void RSA_OAEP_with_SHA1_is_refused_by_default_and_works_when_allowed()
    {
        using var publicKey = keys.RecipientPublicOnly();
        var compact = JweEncryptor.Encrypt("x"u8, publicKey, "k", alg: "RSA-OAEP");

        var refused = () => JweDecryptor.Decrypt(compact, keys.Recipient);
        refused.Should().Throw<JweException>().Which.Failure.Should().Be(JweFailure.UnsupportedAlgorithm);

        var allowed = new JweDecryptionOptions { AllowedKeyAlgorithms = new HashSet<string> { "RSA-OAEP" } };
        JweDecryptor.Decrypt(compact, keys.Recipient, allowed).Plaintext.Should().Equal("x"u8.ToArray());
    }
}
