using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Jose;
using IntegrationHub.Jose.Streaming;
using IntegrationHub.Simulators.Crypto;

namespace IntegrationHub.UnitTests.Jose;

/// <summary>A stored submission is decrypted again by each delivery: the RSA unwrap of a JWE happens once per process.</summary>
public sealed class UnwrappedKeyCacheTests(RsaKeysFixture keys) : IClassFixture<RsaKeysFixture>
{
    private static readonly byte[] Plaintext = Encoding.UTF8.GetBytes("""{"antrag":"Hilfe zum Lebensunterhalt"}""");

    [Fact]
    public async Task The_same_JWE_read_again_in_memory_and_streamed_unwraps_its_key_once()
    {
        using var key = new DecryptCountingRsa(keys.Recipient);
        var compact = JweEncryptor.Encrypt(Plaintext, keys.RecipientPublicOnly(), "kid-1");

        JweDecryptor.Decrypt(compact, key).Plaintext.Should().Equal(Plaintext);
        JweDecryptor.Decrypt(compact, key).Plaintext.Should().Equal(Plaintext);
        using var streamed = new MemoryStream();
        await JweStreamDecryptor.DecryptToAsync(new MemoryStream(Encoding.ASCII.GetBytes(compact)), key,
            (chunk, _) => { streamed.Write(chunk.Span); return ValueTask.CompletedTask; }, new JweDecryptionOptions(), default);

        streamed.ToArray().Should().Equal(Plaintext);
        key.DecryptCalls.Should().Be(1);
    }

    [Fact]
    public void Another_JWE_or_another_private_key_is_unwrapped_by_RSA()
    {
        using var key = new DecryptCountingRsa(keys.Recipient);
        using var sameKeyOtherInstance = new DecryptCountingRsa(keys.Recipient);
        var first = JweEncryptor.Encrypt(Plaintext, keys.RecipientPublicOnly(), "kid-1");
        var second = JweEncryptor.Encrypt(Plaintext, keys.RecipientPublicOnly(), "kid-1");

        JweDecryptor.Decrypt(first, key);
        JweDecryptor.Decrypt(second, key);
        JweDecryptor.Decrypt(first, sameKeyOtherInstance);

        key.DecryptCalls.Should().Be(2, "each JWE has its own encrypted key");
        sameKeyOtherInstance.DecryptCalls.Should().Be(1, "entries belong to the private key that unwrapped them");
    }

    [Fact]
    public void A_tampered_ciphertext_under_a_known_key_still_fails_the_tag_check()
    {
        using var key = new DecryptCountingRsa(keys.Recipient);
        var compact = JweEncryptor.Encrypt(Plaintext, keys.RecipientPublicOnly(), "kid-1");
        JweDecryptor.Decrypt(compact, key);
        var parts = compact.Split('.');
        var ciphertext = System.Buffers.Text.Base64Url.DecodeFromChars(parts[3]);
        ciphertext[0] ^= 1;
        parts[3] = System.Buffers.Text.Base64Url.EncodeToString(ciphertext);

        FluentActions.Invoking(() => JweDecryptor.Decrypt(string.Join('.', parts), key))
            .Should().Throw<JweException>().Which.Failure.Should().Be(JweFailure.DecryptionFailed);
    }

    [Fact]
    public void An_encrypted_key_that_does_not_unwrap_is_never_kept_and_fails_every_time()
    {
        using var key = new DecryptCountingRsa(keys.Recipient);
        var parts = JweEncryptor.Encrypt(Plaintext, keys.RecipientPublicOnly(), "kid-1").Split('.');
        var encryptedKey = System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]);
        encryptedKey[^1] ^= 1;
        parts[1] = System.Buffers.Text.Base64Url.EncodeToString(encryptedKey);
        var broken = string.Join('.', parts);

        for (var i = 0; i < 2; i++)
            FluentActions.Invoking(() => JweDecryptor.Decrypt(broken, key))
                .Should().Throw<JweException>().Which.Failure.Should().Be(JweFailure.DecryptionFailed);
        key.DecryptCalls.Should().Be(2, "a failed unwrap is tried again (no faster answer for a bad key)");
    }

    [Fact]
    public async Task A_valid_encrypted_key_with_a_tag_that_does_not_verify_is_never_kept()
    {
        // A padding oracle's probe: an encrypted key that unwraps (valid OAEP), sent with ciphertext that is not its own.
        // Were its key kept before the tag check, the second try would skip RSA and answer measurably faster.
        using var key = new DecryptCountingRsa(keys.Recipient);
        var parts = JweEncryptor.Encrypt(Plaintext, keys.RecipientPublicOnly(), "kid-1").Split('.');
        var tag = System.Buffers.Text.Base64Url.DecodeFromChars(parts[4]);
        tag[0] ^= 1;
        parts[4] = System.Buffers.Text.Base64Url.EncodeToString(tag);
        var probe = string.Join('.', parts);

        for (var i = 0; i < 2; i++)
        {
            FluentActions.Invoking(() => JweDecryptor.Decrypt(probe, key))
                .Should().Throw<JweException>().Which.Failure.Should().Be(JweFailure.DecryptionFailed);
            await FluentActions.Awaiting(() => JweStreamDecryptor.DecryptToAsync(new MemoryStream(Encoding.ASCII.GetBytes(probe)), key,
                    (_, _) => ValueTask.CompletedTask, new JweDecryptionOptions(), default))
                .Should().ThrowAsync<JweException>();
        }

        key.DecryptCalls.Should().Be(4, "every attempt unwraps again while no tag has verified");
    }
}
