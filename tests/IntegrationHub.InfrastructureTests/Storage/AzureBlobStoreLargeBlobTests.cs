using System.Diagnostics;
using System.Security.Cryptography;
using IntegrationHub.Storage.AzureBlob;
using Xunit.Abstractions;

namespace IntegrationHub.InfrastructureTests.Storage;

/// <summary>Alone, so the process-wide allocation counter measures only this test.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuredCollection
{
    public const string Name = "Memory measured (runs alone)";
}

[Collection(MemoryMeasuredCollection.Name)]
public sealed class AzureBlobStoreLargeBlobTests(AzuriteContainerFixture container, ITestOutputHelper output)
    : IClassFixture<AzuriteContainerFixture>
{
    private const long Size = 100L * 1024 * 1024;
    private const long AllowedAllocationBytes = 24L * 1024 * 1024;

    [Fact]
    public async Task A_100_MB_stream_goes_up_in_blocks_and_comes_back_with_bounded_memory()
    {
        var handler = new RecordingHandler();
        using var http = new HttpClient(handler);
        var options = Azurite.Options(container.Container);
        var store = new AzureBlobStore(http, options);
        const string name = "large/100mb.bin";
        var expected = await HashAsync(new PseudoRandomStream(Size, 42));

        // Warm up (container, connection, JIT) so the measurement sees only the transfer.
        await store.PutAsync("large/warm-up.bin", new MemoryStream([1, 2, 3]));
        await using (var warm = await store.OpenReadAsync("large/warm-up.bin")) await warm.CopyToAsync(Stream.Null);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();

        await store.PutAsync(name, new PseudoRandomStream(Size, 42));
        var uploaded = watch.Elapsed;
        long downloadedBytes;
        byte[] actual;
        await using (var download = await store.OpenReadAsync(name))
        {
            (downloadedBytes, actual) = await HashWithLengthAsync(download);
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        using var process = Process.GetCurrentProcess();
        output.WriteLine($"100 MiB blob, {options.BlockSizeBytes / 1024 / 1024} MiB blocks: upload {uploaded.TotalSeconds:F1} s, " +
                         $"upload+download {watch.Elapsed.TotalSeconds:F1} s");
        output.WriteLine($"Managed bytes allocated during upload+download: {allocated:N0} ({allocated / 1024.0 / 1024.0:F1} MiB); " +
                         $"peak working set of the test process: {process.PeakWorkingSet64 / 1024.0 / 1024.0:F0} MiB");

        downloadedBytes.Should().Be(Size);
        actual.Should().Equal(expected);
        handler.Count(HttpMethod.Put, "comp=block&").Should().Be((int)(Size / options.BlockSizeBytes));
        handler.Count(HttpMethod.Put, "comp=blocklist").Should().Be(1);
        allocated.Should().BeLessThan(AllowedAllocationBytes, "the store streams through one pooled block buffer and never holds the blob");
    }

    private static async Task<byte[]> HashAsync(Stream stream) => (await HashWithLengthAsync(stream)).Hash;

    private static async Task<(long Length, byte[] Hash)> HashWithLengthAsync(Stream stream)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }
        return (total, hash.GetHashAndReset());
    }
}
