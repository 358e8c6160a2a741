using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Jose;
using IntegrationHub.Simulators.Crypto;

namespace IntegrationHub.UnitTests.Jose;

/// <summary>Everything the hub must refuse, and with which failure class.</summary>
public sealed class JweNegativeTests(RsaKeysFixture keys) : IClassFixture<RsaKeysFixture>
{
    private const string Secret = "GEHEIM Erika Mustermann IBAN DE02120300000000202051";

    private string ValidJwe(bool compress = false)
    {
        using var publicKey = keys.RecipientPublicOnly();
        return JweEncryptor.Encrypt(Encoding.UTF8.GetBytes(Secret), publicKey, "kid-1", "application/json", compress);
    }

    private JweException Refused(string compact, JweDecryptionOptions? options = null, RSA? key = null)
    {
        var act = () => JweDecryptor.Decrypt(compact, key ?? keys.Recipient, options);
        var ex = act.Should().Throw<JweException>().Which;
        ex.Message.Should().NotContain("GEHEIM").And.NotContain("Mustermann");
        ex.ToString().Should().NotContain("Mustermann");
        return ex;
    }

    private static string FlipBitInPart(string compact, int part, int byteIndex = 0)
    {
        var parts = JweEncryptor.Split(compact);
        var bytes = Base64Url.DecodeFromChars(parts[part]);
        bytes[byteIndex] ^= 0x01;
        parts[part] = Base64Url.EncodeToString(bytes);
        return JweEncryptor.Join(parts);
    }

    [Theory]
    [InlineData(4, "authentication tag")]
    [InlineData(2, "initialization vector")]
    [InlineData(3, "ciphertext")]
    public void Tampered_tag_iv_or_ciphertext_fails_decryption(int part, string what)
    {
        var tampered = FlipBitInPart(ValidJwe(), part);

        Refused(tampered).Failure.Should().Be(JweFailure.DecryptionFailed, what);
    }

    [Fact]
    public void Tampered_protected_header_fails_decryption_because_it_is_the_AAD()
    {
        var parts = JweEncryptor.Split(ValidJwe());
        var header = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[0])).Replace("kid-1", "kid-2", StringComparison.Ordinal);
        parts[0] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header));

        Refused(JweEncryptor.Join(parts)).Failure.Should().Be(JweFailure.DecryptionFailed);
    }

    [Fact]
    public void Tampered_encrypted_key_fails_like_a_bad_tag_so_there_is_no_padding_oracle()
    {
        var tampered = FlipBitInPart(ValidJwe(), 1, byteIndex: 100);

        Refused(tampered).Failure.Should().BeOneOf(JweFailure.DecryptionFailed, JweFailure.KeyUnwrapFailed)
            .And.Be(JweFailure.DecryptionFailed, "unwrap failures are deliberately indistinguishable from tag failures");
    }

    [Fact]
    public void Encrypted_key_of_the_wrong_length_is_refused_before_decryption()
    {
        var parts = JweEncryptor.Split(ValidJwe());
        parts[1] = Base64Url.EncodeToString(Base64Url.DecodeFromChars(parts[1]).AsSpan(0, 256));

        Refused(JweEncryptor.Join(parts)).Failure.Should().Be(JweFailure.KeyUnwrapFailed);
    }

    [Fact]
    public void Wrong_private_key_fails()
    {
        Refused(ValidJwe(), key: keys.Other).Failure.Should().BeOneOf(JweFailure.DecryptionFailed, JweFailure.KeyUnwrapFailed);
    }

    [Theory]
    [InlineData("""{"alg":"none","enc":"A256GCM"}""")]
    [InlineData("""{"alg":"dir","enc":"A256GCM"}""")]
    [InlineData("""{"alg":"RSA1_5","enc":"A256GCM"}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A128GCM"}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A256CBC-HS512"}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"GZIP"}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A256GCM","crit":["exp"],"exp":1}""")]
    public void Unsupported_algorithms_are_refused_before_the_private_key_is_used(string header)
    {
        using var publicKey = keys.RecipientPublicOnly();
        var compact = JweEncryptor.EncryptWithHeader("x"u8, publicKey, header);
        using var countingKey = new DecryptCountingRsa(keys.Recipient);

        Refused(compact, key: countingKey).Failure.Should().Be(JweFailure.UnsupportedAlgorithm);
        countingKey.DecryptCalls.Should().Be(0);
    }

    [Fact]
    public void Content_encryption_outside_the_allowed_set_is_refused()
    {
        var options = new JweDecryptionOptions { AllowedContentEncryptions = new HashSet<string>() };

        Refused(ValidJwe(), options).Failure.Should().Be(JweFailure.UnsupportedAlgorithm);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(3)]
    [InlineData(1)]
    public void Wrong_number_of_parts_is_malformed(int count)
    {
        var parts = JweEncryptor.Split(ValidJwe()).ToList();
        while (parts.Count > count)
        {
            parts.RemoveAt(parts.Count - 1);
        }

        while (parts.Count < count)
        {
            parts.Add("AAAA");
        }

        Refused(string.Join('.', parts)).Failure.Should().Be(JweFailure.Malformed);
        var readHeader = () => Jwe.ReadHeader(string.Join('.', parts));
        readHeader.Should().Throw<JweException>().Which.Failure.Should().Be(JweFailure.Malformed);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"alg":"RSA-OAEP-256"}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A256GCM","alg":"none"}""")]
    [InlineData("""{"alg":7,"enc":"A256GCM"}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":42}""")]
    public void Broken_headers_are_malformed(string header)
    {
        using var publicKey = keys.RecipientPublicOnly();
        var compact = JweEncryptor.EncryptWithHeader("x"u8, publicKey, header);

        Refused(compact).Failure.Should().Be(JweFailure.Malformed);
    }

    [Theory]
    [InlineData(0, "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0=")]
    [InlineData(2, "AAAAAAAAAAAAAAAA+")]
    [InlineData(4, "AAAA AAAA")]
    [InlineData(2, "AAAAAAAAAAAAAAAAAAAA")]
    [InlineData(4, "")]
    public void Non_canonical_base64url_or_wrong_lengths_are_malformed(int part, string replacement)
    {
        var parts = JweEncryptor.Split(ValidJwe());
        parts[part] = replacement;

        Refused(JweEncryptor.Join(parts)).Failure.Should().Be(JweFailure.Malformed);
    }

    [Fact]
    public void Empty_input_is_malformed()
    {
        Refused(string.Empty).Failure.Should().Be(JweFailure.Malformed);
    }

    [Fact]
    public void Zip_bomb_is_stopped_at_the_plaintext_limit()
    {
        using var publicKey = keys.RecipientPublicOnly();
        var bomb = new byte[16 * 1024 * 1024]; // 16 MiB of zeros deflate to a few KiB
        var compact = JweEncryptor.Encrypt(bomb, publicKey, "k", compress: true);
        compact.Length.Should().BeLessThan(100_000);

        Refused(compact, new JweDecryptionOptions { MaxPlaintextBytes = 1024 * 1024 }).Failure.Should().Be(JweFailure.TooLarge);
    }

    [Fact]
    public void Uncompressed_plaintext_over_the_limit_is_too_large()
    {
        Refused(ValidJwe(), new JweDecryptionOptions { MaxPlaintextBytes = 10 }).Failure.Should().Be(JweFailure.TooLarge);
    }

    [Fact]
    public void Plaintext_exactly_at_the_limit_is_accepted()
    {
        using var publicKey = keys.RecipientPublicOnly();
        var data = new byte[4096];
        var options = new JweDecryptionOptions { MaxPlaintextBytes = data.Length };

        JweDecryptor.Decrypt(JweEncryptor.Encrypt(data, publicKey, "k", compress: true), keys.Recipient, options).Plaintext.Should().HaveCount(4096);
        JweDecryptor.Decrypt(JweEncryptor.Encrypt(data, publicKey, "k"), keys.Recipient, options).Plaintext.Should().HaveCount(4096);
    }

    [Fact]
    public void Invalid_deflate_data_fails_decompression()
    {
        using var publicKey = keys.RecipientPublicOnly();

        // 0xFF starts a DEFLATE block with the reserved block type 11.
        var compact = JweEncryptor.EncryptWithHeader([0xFF, 0xFF, 0xFF, 0xFF], publicKey, """{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"DEF"}""");

        Refused(compact).Failure.Should().Be(JweFailure.DecompressionFailed);
    }
}
