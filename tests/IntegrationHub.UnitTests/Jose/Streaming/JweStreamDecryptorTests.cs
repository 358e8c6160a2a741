using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Jose;
using IntegrationHub.Jose.Streaming;
using IntegrationHub.Simulators.Crypto;

namespace IntegrationHub.UnitTests.Jose.Streaming;

/// <summary>
/// The streaming decryptor gives what <see cref="JweDecryptor"/> gives: the same plaintext and tag for good input,
/// the same <see cref="JweFailure"/> for bad input (only later: failures that need the tag arrive after streaming).
/// </summary>
public sealed class JweStreamDecryptorTests(RsaKeysFixture keys) : IClassFixture<RsaKeysFixture>
{
    private const string Secret = "GEHEIM Erika Mustermann IBAN DE02120300000000202051";

    public static TheoryData<int, bool> SizesAndCompression()
    {
        var data = new TheoryData<int, bool>();
        foreach (var size in new[] { 0, 1, 15, 16, 17, 4095, 65536 + 7, 3 * 1024 * 1024 })
        {
            data.Add(size, false);
            data.Add(size, true);
        }

        return data;
    }

    private string Encrypt(byte[] plaintext, bool compress = false, string? cty = null)
    {
        using var publicKey = keys.RecipientPublicOnly();
        return JweEncryptor.Encrypt(plaintext, publicKey, "kid-1", cty, compress);
    }

    private string ValidJwe(bool compress = false) => Encrypt(Encoding.UTF8.GetBytes(Secret), compress, "application/json");

    private static async Task<(JweStreamResult Result, RecordingStream Output)> StreamAsync(
        Stream input, RSA key, JweDecryptionOptions? options = null, bool portable = false)
    {
        var output = new RecordingStream();
        var result = await JweStreamDecryptor.DecryptCoreAsync(input, key, output.WriteAsync, options,
            portable ? GHashImplementation.Portable : GHashImplementation.Auto, CancellationToken.None);
        return (result, output);
    }

    private async Task<(JweException Error, long BytesWrittenBefore)> RefusedAsync(string compact, JweDecryptionOptions? options = null, RSA? key = null)
    {
        using var output = new RecordingStream();
        var act = () => JweStreamDecryptor.DecryptAsync(StreamingTestData.Input(compact), key ?? keys.Recipient, output, options);
        var ex = (await act.Should().ThrowAsync<JweException>()).Which;
        ex.Message.Should().NotContain("GEHEIM").And.NotContain("Mustermann");
        ex.ToString().Should().NotContain("Mustermann");
        return (ex, output.Count);
    }

    /// <summary>The one-shot decryptor's verdict on the same input, as the yardstick.</summary>
    private JweFailure OneShotFailure(string compact, JweDecryptionOptions? options = null, RSA? key = null)
    {
        var act = () => JweDecryptor.Decrypt(compact, key ?? keys.Recipient, options);
        return act.Should().Throw<JweException>().Which.Failure;
    }

    /// <summary>Flips the lowest bit of one byte of a part; a negative index means the middle byte.</summary>
    private static string FlipBitInPart(string compact, int part, int byteIndex = 0)
    {
        var parts = JweEncryptor.Split(compact);
        var bytes = Base64Url.DecodeFromChars(parts[part]);
        bytes[byteIndex < 0 ? bytes.Length / 2 : byteIndex] ^= 0x01;
        parts[part] = Base64Url.EncodeToString(bytes);
        return JweEncryptor.Join(parts);
    }

    [Theory]
    [MemberData(nameof(SizesAndCompression))]
    public async Task Same_plaintext_and_tag_as_the_one_shot_decryptor(int size, bool compress)
    {
        var plaintext = StreamingTestData.Plaintext(size, seed: size, compressible: compress);
        var compact = Encrypt(plaintext, compress, "application/pdf");
        var expected = JweDecryptor.Decrypt(compact, keys.Recipient);

        var (result, output) = await StreamAsync(StreamingTestData.Input(compact), keys.Recipient);

        output.Bytes.AsSpan().SequenceEqual(expected.Plaintext).Should().BeTrue();
        output.Bytes.AsSpan().SequenceEqual(plaintext).Should().BeTrue();
        result.PlaintextLength.Should().Be(size);
        result.AuthenticationTag.Should().Be(expected.AuthenticationTag).And.Be(JweEncryptor.Split(compact)[4]);
        result.Header.Should().BeEquivalentTo(expected.Header, o => o.Excluding(h => h.All));
        result.Header.All.Keys.Should().BeEquivalentTo(expected.Header.All.Keys);
        result.Header.Zip.Should().Be(compress ? "DEF" : null);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(17, true)]
    [InlineData(4095, false)]
    [InlineData(65536 + 7, false)]
    [InlineData(65536 + 7, true)]
    [InlineData(3 * 1024 * 1024, false)]
    public async Task Portable_GHASH_gives_the_same_result(int size, bool compress)
    {
        var plaintext = StreamingTestData.Plaintext(size, seed: size + 1, compressible: compress);
        var compact = Encrypt(plaintext, compress);

        var (result, output) = await StreamAsync(StreamingTestData.Input(compact), keys.Recipient, portable: true);

        output.Bytes.AsSpan().SequenceEqual(plaintext).Should().BeTrue();
        result.AuthenticationTag.Should().Be(JweDecryptor.Decrypt(compact, keys.Recipient).AuthenticationTag);
    }

    [Theory]
    [InlineData(0, false, 1)]
    [InlineData(1, false, 2)]
    [InlineData(4095, false, 3)]
    [InlineData(70_001, false, 4)]
    [InlineData(70_001, true, 5)]
    public async Task Input_arriving_in_pieces_of_a_few_bytes_decrypts_the_same(int size, bool compress, int seed)
    {
        var plaintext = StreamingTestData.Plaintext(size, seed, compressible: compress);
        var compact = Encrypt(plaintext, compress);
        using var trickle = new SyncPieceStream(StreamingTestData.Input(compact), new Random(seed), maxPiece: 7);

        var (result, output) = await StreamAsync(trickle, keys.Recipient);

        output.Bytes.AsSpan().SequenceEqual(plaintext).Should().BeTrue();
        result.AuthenticationTag.Should().Be(JweEncryptor.Split(compact)[4]);
    }

    [Fact]
    public async Task Chunk_callback_and_stream_overloads_agree()
    {
        var plaintext = StreamingTestData.Plaintext(200_000, 9);
        var compact = Encrypt(plaintext);
        var chunks = new List<int>();
        using var collected = new MemoryStream();

        var viaCallback = await JweStreamDecryptor.DecryptToAsync(StreamingTestData.Input(compact), keys.Recipient, (chunk, _) =>
        {
            chunks.Add(chunk.Length);
            collected.Write(chunk.Span);
            return ValueTask.CompletedTask;
        });
        using var destination = new MemoryStream();
        var viaStream = await JweStreamDecryptor.DecryptAsync(StreamingTestData.Input(compact), keys.Recipient, destination);

        collected.ToArray().Should().Equal(plaintext);
        destination.ToArray().Should().Equal(plaintext);
        viaCallback.Should().BeEquivalentTo(viaStream, o => o.Excluding(r => r.Header.All));
        chunks.Should().OnlyContain(n => n > 0 && n <= 64 * 1024);
    }

    [Fact]
    public async Task Decrypts_the_RFC_7516_A1_example_when_RSA_OAEP_is_explicitly_allowed()
    {
        using var key = TestRsa.FromPrivateJwk(Rfc7516VectorTests.PrivateJwk);
        var allowSha1 = new JweDecryptionOptions { AllowedKeyAlgorithms = new HashSet<string> { "RSA-OAEP-256", "RSA-OAEP" } };

        var (result, output) = await StreamAsync(StreamingTestData.Input(Rfc7516VectorTests.Compact), key, allowSha1);
        var (portable, portableOutput) = await StreamAsync(StreamingTestData.Input(Rfc7516VectorTests.Compact), key, allowSha1, portable: true);

        Encoding.UTF8.GetString(output.Bytes).Should().Be("The true sign of intelligence is not knowledge but imagination.");
        portableOutput.Bytes.Should().Equal(output.Bytes);
        result.AuthenticationTag.Should().Be("XFBoMYUZodetZdvTiFvSkQ").And.Be(portable.AuthenticationTag);
        result.Header.Alg.Should().Be("RSA-OAEP");
        result.PlaintextLength.Should().Be(63);

        var byDefault = () => JweStreamDecryptor.DecryptAsync(StreamingTestData.Input(Rfc7516VectorTests.Compact), key, Stream.Null);
        (await byDefault.Should().ThrowAsync<JweException>()).Which.Failure.Should().Be(JweFailure.UnsupportedAlgorithm);
    }

    /// <summary>
    /// Integrity failures are only known when the tag (the last part) has been checked, so the whole (unauthenticated)
    /// plaintext has already been written by then: callers must discard the destination on any exception.
    /// </summary>
    [Theory]
    [InlineData(4, false)]
    [InlineData(3, false)]
    [InlineData(2, false)]
    [InlineData(4, true)]
    [InlineData(3, true)]
    public async Task Tampered_tag_ciphertext_or_IV_fails_decryption_only_after_streaming(int part, bool compress)
    {
        var plaintext = StreamingTestData.Plaintext(300_000, 21);
        var tampered = FlipBitInPart(Encrypt(plaintext, compress), part, byteIndex: part == 3 ? -1 : 0);

        var (error, written) = await RefusedAsync(tampered);

        error.Failure.Should().Be(JweFailure.DecryptionFailed).And.Be(OneShotFailure(tampered));
        if (!compress)
        {
            written.Should().Be(plaintext.Length, "the failure arrives after the plaintext was streamed");
        }
    }

    [Fact]
    public async Task Tampered_protected_header_fails_decryption_because_it_is_the_AAD()
    {
        var parts = JweEncryptor.Split(ValidJwe());
        var header = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[0])).Replace("kid-1", "kid-2", StringComparison.Ordinal);
        parts[0] = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header));

        var (error, written) = await RefusedAsync(JweEncryptor.Join(parts));

        error.Failure.Should().Be(JweFailure.DecryptionFailed);
        written.Should().Be(Secret.Length);
    }

    [Fact]
    public async Task Tampered_encrypted_key_fails_like_a_bad_tag_so_there_is_no_padding_oracle()
    {
        var tampered = FlipBitInPart(ValidJwe(), 1, byteIndex: 100);

        (await RefusedAsync(tampered)).Error.Failure.Should().Be(JweFailure.DecryptionFailed);
        (await RefusedAsync(ValidJwe(), key: keys.Other)).Error.Failure.Should().Be(JweFailure.DecryptionFailed);
    }

    [Fact]
    public async Task Encrypted_key_of_the_wrong_length_is_refused_before_any_output()
    {
        var parts = JweEncryptor.Split(ValidJwe());
        parts[1] = Base64Url.EncodeToString(Base64Url.DecodeFromChars(parts[1]).AsSpan(0, 256));

        var (error, written) = await RefusedAsync(JweEncryptor.Join(parts));

        error.Failure.Should().Be(JweFailure.KeyUnwrapFailed);
        written.Should().Be(0);
    }

    [Theory]
    [InlineData("""{"alg":"none","enc":"A256GCM"}""")]
    [InlineData("""{"alg":"dir","enc":"A256GCM"}""")]
    [InlineData("""{"alg":"RSA1_5","enc":"A256GCM"}""")]
    [InlineData("""{"alg":"RSA-OAEP","enc":"A256GCM"}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A128GCM"}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A256CBC-HS512"}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"GZIP"}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A256GCM","crit":["exp"],"exp":1}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A256GCM","crit":[]}""")]
    public async Task Unsupported_algorithms_are_refused_before_the_private_key_is_used(string header)
    {
        using var publicKey = keys.RecipientPublicOnly();
        var compact = JweEncryptor.EncryptWithHeader("x"u8, publicKey, header);
        using var countingKey = new DecryptCountingRsa(keys.Recipient);

        var (error, written) = await RefusedAsync(compact, key: countingKey);

        error.Failure.Should().Be(JweFailure.UnsupportedAlgorithm);
        countingKey.DecryptCalls.Should().Be(0);
        written.Should().Be(0);
    }

    [Fact]
    public async Task Content_encryption_outside_the_allowed_set_is_refused()
    {
        var options = new JweDecryptionOptions { AllowedContentEncryptions = new HashSet<string>() };

        (await RefusedAsync(ValidJwe(), options)).Error.Failure.Should().Be(JweFailure.UnsupportedAlgorithm);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(3)]
    [InlineData(1)]
    public async Task Wrong_number_of_parts_is_malformed(int count)
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

        (await RefusedAsync(string.Join('.', parts))).Error.Failure.Should().Be(JweFailure.Malformed);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"alg":"RSA-OAEP-256"}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A256GCM","alg":"none"}""")]
    [InlineData("""{"alg":7,"enc":"A256GCM"}""")]
    [InlineData("""{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":42}""")]
    public async Task Broken_headers_are_malformed(string header)
    {
        using var publicKey = keys.RecipientPublicOnly();
        var compact = JweEncryptor.EncryptWithHeader("x"u8, publicKey, header);

        (await RefusedAsync(compact)).Error.Failure.Should().Be(JweFailure.Malformed);
    }

    [Theory]
    [InlineData(0, "eyJhbGciOiJSU0EtT0FFUC0yNTYiLCJlbmMiOiJBMjU2R0NNIn0=")]
    [InlineData(0, "")]
    [InlineData(1, "AAAA=")]
    [InlineData(2, "AAAAAAAAAAAAAAAA+")]
    [InlineData(2, "AAAAAAAAAAAAAAAAAAAA")]
    [InlineData(4, "AAAA AAAA")]
    [InlineData(4, "")]
    [InlineData(4, "AAAAAAAAAAAAAAAAAAAAAA\n")]
    [InlineData(4, "AAAAAAAAAAAAAAAAAAAAAB")]
    public async Task Non_canonical_base64url_or_wrong_lengths_are_malformed(int part, string replacement)
    {
        var parts = JweEncryptor.Split(ValidJwe());
        parts[part] = replacement;
        var compact = JweEncryptor.Join(parts);

        (await RefusedAsync(compact)).Error.Failure.Should().Be(JweFailure.Malformed).And.Be(OneShotFailure(compact));
    }

    [Theory]
    [InlineData("+")]
    [InlineData("=")]
    [InlineData(" ")]
    [InlineData("\n")]
    [InlineData("\u00e4")]
    public async Task Ciphertext_with_a_character_outside_base64url_is_malformed_when_it_is_met(string bad)
    {
        var plaintext = StreamingTestData.Plaintext(200_000, 5);
        var parts = JweEncryptor.Split(Encrypt(plaintext));
        parts[3] = parts[3][..150_000] + bad + parts[3][150_001..];
        var compact = JweEncryptor.Join(parts);

        var (error, written) = await RefusedAsync(compact);

        error.Failure.Should().Be(JweFailure.Malformed).And.Be(OneShotFailure(compact));
        written.Should().BeLessThan(plaintext.Length);
    }

    [Theory]
    [InlineData(2)] // 4n+2 characters: the last one may only use its top 2 bits
    [InlineData(3)] // 4n+3 characters: the last one may only use its top 4 bits
    public async Task Ciphertext_with_non_canonical_trailing_bits_is_malformed(int rest)
    {
        var plaintext = StreamingTestData.Plaintext(rest == 2 ? 1000 : 1001, 6); // 1000 % 3 == 1 -> 2 chars, 1001 % 3 == 2 -> 3 chars
        var parts = JweEncryptor.Split(Encrypt(plaintext));
        parts[3].Length.Should().Match(n => n % 4 == rest);
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var sextet = Alphabet.IndexOf(parts[3][^1], StringComparison.Ordinal);
        parts[3] = parts[3][..^1] + Alphabet[sextet | 1]; // sets a bit that carries no data
        var compact = JweEncryptor.Join(parts);

        (await RefusedAsync(compact)).Error.Failure.Should().Be(JweFailure.Malformed).And.Be(OneShotFailure(compact));
    }

    [Fact]
    public async Task Ciphertext_of_4n_plus_1_characters_is_malformed()
    {
        var parts = JweEncryptor.Split(ValidJwe());
        parts[3] += "A";

        (await RefusedAsync(JweEncryptor.Join(parts))).Error.Failure.Should().Be(JweFailure.Malformed);
    }

    [Fact]
    public async Task Empty_input_is_malformed()
    {
        (await RefusedAsync(string.Empty)).Error.Failure.Should().Be(JweFailure.Malformed);
    }

    [Fact]
    public async Task Header_over_the_bound_is_malformed_without_reading_on()
    {
        var compact = new string('A', 16 * 1024 + 4) + ".AAAA.AAAA.AAAA.AAAA";

        (await RefusedAsync(compact)).Error.Failure.Should().Be(JweFailure.Malformed);
    }

    [Fact]
    public async Task Zip_bomb_is_stopped_at_the_plaintext_limit()
    {
        var compact = Encrypt(new byte[16 * 1024 * 1024], compress: true); // 16 MiB of zeros deflate to a few KiB
        compact.Length.Should().BeLessThan(100_000);
        var options = new JweDecryptionOptions { MaxPlaintextBytes = 1024 * 1024 };

        var (error, written) = await RefusedAsync(compact, options);

        error.Failure.Should().Be(JweFailure.TooLarge).And.Be(OneShotFailure(compact, options));
        written.Should().BeLessThanOrEqualTo(1024 * 1024, "output stops at the limit");
    }

    [Fact]
    public async Task Zip_bomb_with_a_bad_tag_is_a_decryption_failure_as_in_the_one_shot_decryptor()
    {
        var compact = FlipBitInPart(Encrypt(new byte[4 * 1024 * 1024], compress: true), 4);
        var options = new JweDecryptionOptions { MaxPlaintextBytes = 1024 * 1024 };

        (await RefusedAsync(compact, options)).Error.Failure.Should().Be(JweFailure.DecryptionFailed).And.Be(OneShotFailure(compact, options));
    }

    [Fact]
    public async Task Uncompressed_ciphertext_over_the_limit_is_too_large_before_any_output()
    {
        var (error, written) = await RefusedAsync(ValidJwe(), new JweDecryptionOptions { MaxPlaintextBytes = 10 });

        error.Failure.Should().Be(JweFailure.TooLarge);
        written.Should().Be(0);
    }

    [Fact]
    public async Task Large_uncompressed_ciphertext_over_the_limit_stops_early()
    {
        var compact = Encrypt(new byte[2 * 1024 * 1024]);
        var options = new JweDecryptionOptions { MaxPlaintextBytes = 512 * 1024 };

        var (error, written) = await RefusedAsync(compact, options);

        error.Failure.Should().Be(JweFailure.TooLarge).And.Be(OneShotFailure(compact, options));
        written.Should().BeLessThanOrEqualTo(512 * 1024);
    }

    [Fact]
    public async Task Plaintext_exactly_at_the_limit_is_accepted()
    {
        var data = new byte[4096];
        var options = new JweDecryptionOptions { MaxPlaintextBytes = data.Length };

        (await StreamAsync(StreamingTestData.Input(Encrypt(data, compress: true)), keys.Recipient, options)).Result.PlaintextLength.Should().Be(4096);
        (await StreamAsync(StreamingTestData.Input(Encrypt(data)), keys.Recipient, options)).Result.PlaintextLength.Should().Be(4096);
    }

    [Fact]
    public async Task Invalid_deflate_data_fails_decompression_but_only_after_the_tag_was_checked()
    {
        using var publicKey = keys.RecipientPublicOnly();
        // 0xFF starts a DEFLATE block with the reserved block type 11.
        var compact = JweEncryptor.EncryptWithHeader([0xFF, 0xFF, 0xFF, 0xFF], publicKey, """{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"DEF"}""");
        var badTag = FlipBitInPart(compact, 4);

        (await RefusedAsync(compact)).Error.Failure.Should().Be(JweFailure.DecompressionFailed).And.Be(OneShotFailure(compact));
        (await RefusedAsync(badTag)).Error.Failure.Should().Be(JweFailure.DecryptionFailed).And.Be(OneShotFailure(badTag));
    }

    [Fact]
    public async Task Data_after_the_end_of_the_deflate_stream_is_still_authenticated()
    {
        // A valid DEFLATE stream followed by garbage: both decryptors ignore the garbage but the tag covers it.
        var deflated = new MemoryStream();
        using (var deflate = new System.IO.Compression.DeflateStream(deflated, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(Encoding.UTF8.GetBytes(Secret));
        }

        var content = deflated.ToArray().Concat(StreamingTestData.Plaintext(100_000, 8)).ToArray();
        using var publicKey = keys.RecipientPublicOnly();
        var compact = JweEncryptor.EncryptWithHeader(content, publicKey, """{"alg":"RSA-OAEP-256","enc":"A256GCM","zip":"DEF"}""");
        var expected = JweDecryptor.Decrypt(compact, keys.Recipient);

        var (result, output) = await StreamAsync(StreamingTestData.Input(compact), keys.Recipient);

        output.Bytes.Should().Equal(expected.Plaintext);
        result.AuthenticationTag.Should().Be(expected.AuthenticationTag);
        var tampered = FlipBitInPart(compact, 3, byteIndex: content.Length - 1);
        (await RefusedAsync(tampered)).Error.Failure.Should().Be(JweFailure.DecryptionFailed);
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var act = () => JweStreamDecryptor.DecryptAsync(StreamingTestData.Input(ValidJwe()), keys.Recipient, Stream.Null, ct: cts.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task Arguments_are_checked()
    {
        var noLimit = () => JweStreamDecryptor.DecryptAsync(StreamingTestData.Input(ValidJwe()), keys.Recipient, Stream.Null, new JweDecryptionOptions { MaxPlaintextBytes = 0 });
        var noKey = () => JweStreamDecryptor.DecryptAsync(StreamingTestData.Input(ValidJwe()), null!, Stream.Null);

        await noLimit.Should().ThrowAsync<ArgumentOutOfRangeException>();
        await noKey.Should().ThrowAsync<ArgumentNullException>();
    }
}
