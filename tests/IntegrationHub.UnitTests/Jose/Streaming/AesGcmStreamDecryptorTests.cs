using System.Buffers.Binary;
using System.Security.Cryptography;
using IntegrationHub.Jose.Streaming;

namespace IntegrationHub.UnitTests.Jose.Streaming;

/// <summary>The streaming AES-256-GCM core against the platform's one-shot <see cref="AesGcm"/>, for both GHASH implementations.</summary>
public sealed class AesGcmStreamDecryptorTests
{
    /// <summary>false: what the CPU offers (PCLMULQDQ here); true: the portable fallback, forced.</summary>
    internal static GHashImplementation Ghash(bool portable) => portable ? GHashImplementation.Portable : GHashImplementation.Auto;

    [Fact]
    public void This_machine_uses_the_carry_less_multiply_when_it_has_one()
    {
        using var gcm = new AesGcmStreamDecryptor(new byte[32], new byte[12], []);

        gcm.UsesClmul.Should().Be(GHash.IsClmulSupported);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Random_messages_decrypt_like_AesGcm_in_random_pieces(bool portable)
    {
        var implementation = Ghash(portable);
        var random = new Random(20260501);
        var lengths = new[] { 0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 1000, 4095, 4096, 65535, 65536, 65537, 200_003 };
        for (var iteration = 0; iteration < 300; iteration++)
        {
            var length = iteration < lengths.Length ? lengths[iteration] : random.Next(0, iteration % 10 == 0 ? 300_000 : 3000);
            var key = Bytes(random, 32);
            var nonce = Bytes(random, 12);
            var aad = Bytes(random, random.Next(0, iteration % 7 == 0 ? 5000 : 200));
            var plaintext = Bytes(random, length);
            var (ciphertext, tag) = EncryptWithPlatform(key, nonce, aad, plaintext);

            var decrypted = new byte[length];
            using var gcm = new AesGcmStreamDecryptor(key, nonce, aad, implementation);
            var position = 0;
            while (position < length)
            {
                // Pieces of any size, in place half of the time.
                var piece = Math.Min(length - position, random.Next(0, 3) switch { 0 => random.Next(1, 17), 1 => random.Next(1, 5000), _ => random.Next(1, 150_000) });
                if (random.Next(2) == 0)
                {
                    ciphertext.AsSpan(position, piece).CopyTo(decrypted.AsSpan(position));
                    gcm.Decrypt(decrypted.AsSpan(position, piece), decrypted.AsSpan(position, piece));
                }
                else
                {
                    gcm.Decrypt(ciphertext.AsSpan(position, piece), decrypted.AsSpan(position, piece));
                }

                position += piece;
            }

            var computed = new byte[16];
            gcm.ComputeTag(computed);
            computed.Should().Equal(tag, $"iteration {iteration}, length {length}, aad {aad.Length}");
            decrypted.AsSpan().SequenceEqual(plaintext).Should().BeTrue($"iteration {iteration}, length {length}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void VerifyTag_accepts_the_right_tag_and_refuses_any_flipped_bit(bool portable)
    {
        var implementation = Ghash(portable);
        var random = new Random(7);
        var key = Bytes(random, 32);
        var nonce = Bytes(random, 12);
        var aad = Bytes(random, 40);
        var plaintext = Bytes(random, 1234);
        var (ciphertext, tag) = EncryptWithPlatform(key, nonce, aad, plaintext);

        Verify(tag).Should().BeTrue();
        for (var bit = 0; bit < 128; bit += 9)
        {
            var wrong = (byte[])tag.Clone();
            wrong[bit / 8] ^= (byte)(1 << (bit % 8));
            Verify(wrong).Should().BeFalse();
        }

        Verify(tag.AsSpan(0, 15).ToArray()).Should().BeFalse("a short tag never matches");

        bool Verify(byte[] candidate)
        {
            using var gcm = new AesGcmStreamDecryptor(key, nonce, aad, implementation);
            gcm.Decrypt(ciphertext, new byte[ciphertext.Length]);
            return gcm.VerifyTag(candidate);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Authenticate_only_gives_the_same_tag_as_decrypting(bool portable)
    {
        var implementation = Ghash(portable);
        var random = new Random(11);
        var key = Bytes(random, 32);
        var nonce = Bytes(random, 12);
        var plaintext = Bytes(random, 70_001);
        var (ciphertext, tag) = EncryptWithPlatform(key, nonce, [], plaintext);

        using var gcm = new AesGcmStreamDecryptor(key, nonce, [], implementation);
        gcm.Decrypt(ciphertext.AsSpan(0, 33), new byte[33]);
        gcm.Authenticate(ciphertext.AsSpan(33));

        gcm.VerifyTag(tag).Should().BeTrue();
    }

    [Fact]
    public void Both_GHASH_implementations_match_the_bitwise_definition()
    {
        var random = new Random(3);
        for (var iteration = 0; iteration < 200; iteration++)
        {
            var h = Bytes(random, 16);
            if (iteration == 0)
            {
                Array.Fill(h, (byte)0xFF);
            }

            var blocks = Bytes(random, 16 * random.Next(0, 12));
            var expected = ReferenceGhash(h, blocks);

            foreach (var implementation in new[] { GHashImplementation.Auto, GHashImplementation.Portable })
            {
                var ghash = new GHash(h, implementation);
                var split = 16 * random.Next(0, (blocks.Length / 16) + 1);
                ghash.Update(blocks.AsSpan(0, split));
                ghash.Update(blocks.AsSpan(split));
                var actual = new byte[16];
                ghash.GetValue(actual);
                actual.Should().Equal(expected, $"{implementation}, iteration {iteration}");
            }
        }
    }

    [Fact]
    public void Keys_and_nonces_of_the_wrong_size_are_refused()
    {
        var shortKey = () => new AesGcmStreamDecryptor(new byte[16], new byte[12], []);
        var longNonce = () => new AesGcmStreamDecryptor(new byte[32], new byte[16], []);

        shortKey.Should().Throw<ArgumentException>();
        longNonce.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void The_tag_can_be_computed_only_once()
    {
        using var gcm = new AesGcmStreamDecryptor(new byte[32], new byte[12], []);
        gcm.ComputeTag(new byte[16]);

        var again = () => gcm.ComputeTag(new byte[16]);
        var more = () => gcm.Decrypt(new byte[1], new byte[1]);

        again.Should().Throw<InvalidOperationException>();
        more.Should().Throw<InvalidOperationException>();
    }

    internal static byte[] Bytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static (byte[] Ciphertext, byte[] Tag) EncryptWithPlatform(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext)
    {
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[16];
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(nonce, plaintext, ciphertext, tag, aad);
        return (ciphertext, tag);
    }

    /// <summary>SP 800-38D algorithm 1 (bit by bit), as the independent yardstick.</summary>
    private static byte[] ReferenceGhash(byte[] h, byte[] blocks)
    {
        var yHigh = 0UL;
        var yLow = 0UL;
        var hHigh = BinaryPrimitives.ReadUInt64BigEndian(h);
        var hLow = BinaryPrimitives.ReadUInt64BigEndian(h.AsSpan(8));
        for (var i = 0; i < blocks.Length; i += 16)
        {
            var xHigh = yHigh ^ BinaryPrimitives.ReadUInt64BigEndian(blocks.AsSpan(i));
            var xLow = yLow ^ BinaryPrimitives.ReadUInt64BigEndian(blocks.AsSpan(i + 8));
            ulong zHigh = 0, zLow = 0, vHigh = hHigh, vLow = hLow;
            for (var bit = 0; bit < 128; bit++)
            {
                var set = bit < 64 ? (xHigh >> (63 - bit)) & 1 : (xLow >> (127 - bit)) & 1;
                if (set != 0)
                {
                    zHigh ^= vHigh;
                    zLow ^= vLow;
                }

                var carry = vLow & 1;
                vLow = (vLow >> 1) | (vHigh << 63);
                vHigh >>= 1;
                if (carry != 0)
                {
                    vHigh ^= 0xE100000000000000UL;
                }
            }

            yHigh = zHigh;
            yLow = zLow;
        }

        var result = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(result, yHigh);
        BinaryPrimitives.WriteUInt64BigEndian(result.AsSpan(8), yLow);
        return result;
    }
}
