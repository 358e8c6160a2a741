using System.Diagnostics;
using System.Security.Cryptography;
using IntegrationHub.Jose;
using IntegrationHub.Jose.Streaming;
using IntegrationHub.Simulators.Crypto;
using Xunit.Abstractions;

namespace IntegrationHub.UnitTests.Jose.Streaming;

/// <summary>Large payloads run alone, so throughput and process-wide allocation figures are not disturbed by other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LargePayloadCollection
{
    public const string Name = "Large payloads (serial)";
}

/// <summary>A 100 MB attachment from a file: correct, with the decryptor's own allocations bounded, and how fast.</summary>
[Collection(LargePayloadCollection.Name)]
public sealed class JweStreamDecryptorLargeTests(RsaKeysFixture keys, ITestOutputHelper output) : IClassFixture<RsaKeysFixture>, IDisposable
{
    private const int Megabyte = 1024 * 1024;
    private const long AllocationBound = 16 * Megabyte;

    private readonly string _directory = Directory.CreateTempSubdirectory("ih-jwe-large-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Hundred_megabytes_stream_from_a_file_with_bounded_allocations()
    {
        const int size = 100 * Megabyte;
        var path = Path.Combine(_directory, "attachment.jwe");
        var (expectedSha512, expectedTag) = WriteJwe(path, size);
        output.WriteLine($"JWE file: {new FileInfo(path).Length / (double)Megabyte:F1} MiB for {size / Megabyte} MiB plaintext");
        var options = new JweDecryptionOptions { MaxPlaintextBytes = 128L * Megabyte };

        await WarmUpAsync();
        foreach (var (ghash, hash) in new[] { (GHashImplementation.Auto, true), (GHashImplementation.Auto, false), (GHashImplementation.Portable, false) })
        {
            using var destination = new RecordingStream(keep: false, hash: hash);
            using var input = new SyncPieceStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1));
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var stopwatch = Stopwatch.StartNew();

            var task = JweStreamDecryptor.DecryptCoreAsync(input, keys.Recipient, destination.WriteAsync, options, ghash, CancellationToken.None);
            task.IsCompleted.Should().BeTrue("with synchronous streams all work happens on this thread, where allocations are counted");
            var result = await task;

            stopwatch.Stop();
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            result.PlaintextLength.Should().Be(size);
            result.AuthenticationTag.Should().Be(expectedTag);
            destination.Count.Should().Be(size);
            if (hash)
            {
                destination.Sha512Hex().Should().Be(expectedSha512);
            }

            var label = $"{(ghash == GHashImplementation.Portable ? "portable GHASH" : GHash.IsClmulSupported ? "PCLMULQDQ GHASH" : "portable GHASH (no PCLMULQDQ)")}{(hash ? " + SHA-512 of the output" : string.Empty)}";
            output.WriteLine($"{label}: {size / (double)Megabyte / stopwatch.Elapsed.TotalSeconds:F0} MiB/s, allocated {allocated / 1024.0:F0} KiB on the decrypting thread");
            allocated.Should().BeLessThan(AllocationBound);
        }
    }

    [Fact]
    public async Task Compressed_payload_inflates_from_a_file_with_bounded_allocations()
    {
        const int size = 32 * Megabyte;
        var plaintext = StreamingTestData.Plaintext(size, 32, compressible: true);
        var expectedSha512 = Convert.ToHexStringLower(SHA512.HashData(plaintext));
        var path = Path.Combine(_directory, "compressed.jwe");
        using (var publicKey = keys.RecipientPublicOnly())
        {
            await File.WriteAllTextAsync(path, JweEncryptor.Encrypt(plaintext, publicKey, "kid-1", compress: true));
        }

        plaintext = null;
        output.WriteLine($"JWE file: {new FileInfo(path).Length / (double)Megabyte:F1} MiB for {size / Megabyte} MiB plaintext (zip DEF)");

        await WarmUpAsync(compress: true);
        using var destination = new RecordingStream(keep: false, hash: true);
        using var input = new SyncPieceStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1));
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var stopwatch = Stopwatch.StartNew();

        var task = JweStreamDecryptor.DecryptAsync(input, keys.Recipient, destination, new JweDecryptionOptions { MaxPlaintextBytes = size });
        task.IsCompleted.Should().BeTrue();
        var result = await task;

        stopwatch.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        result.PlaintextLength.Should().Be(size);
        destination.Sha512Hex().Should().Be(expectedSha512);
        output.WriteLine($"zip DEF + SHA-512: {size / (double)Megabyte / stopwatch.Elapsed.TotalSeconds:F0} MiB/s of plaintext, allocated {allocated / 1024.0:F0} KiB on the decrypting thread");
        allocated.Should().BeLessThan(AllocationBound);
    }

    /// <summary>JIT and buffer pools warmed up, so the measurement sees steady-state allocations.</summary>
    private async Task WarmUpAsync(bool compress = false)
    {
        using var publicKey = keys.RecipientPublicOnly();
        var compact = JweEncryptor.Encrypt(StreamingTestData.Plaintext(300_000, 1, compress), publicKey, "kid-1", compress: compress);
        foreach (var ghash in new[] { GHashImplementation.Auto, GHashImplementation.Portable })
        {
            using var input = new SyncPieceStream(StreamingTestData.Input(compact));
            using var destination = new RecordingStream(keep: false);
            await JweStreamDecryptor.DecryptCoreAsync(input, keys.Recipient, destination.WriteAsync, null, ghash, CancellationToken.None);
        }
    }

    private (string Sha512, string Tag) WriteJwe(string path, int size)
    {
        var plaintext = StreamingTestData.Plaintext(size, 100);
        var sha512 = Convert.ToHexStringLower(SHA512.HashData(plaintext));
        using var publicKey = keys.RecipientPublicOnly();
        var tag = StreamingTestData.WriteLargeJwe(path, plaintext, publicKey);
        return (sha512, tag);
    }
}
