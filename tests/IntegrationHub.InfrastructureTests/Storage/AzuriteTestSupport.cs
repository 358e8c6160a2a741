using System.Collections.Concurrent;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using IntegrationHub.Storage.AzureBlob;

namespace IntegrationHub.InfrastructureTests.Storage;

/// <summary>The Azurite blob endpoint that test.sh (or the developer) started, and its well-known development account.</summary>
internal static class Azurite
{
    public const string Variable = "HUB_TEST_AZURITE";
    public const string AccountName = "devstoreaccount1";
    // Azurite's published development key (a public constant of the emulator, not a secret).
    public const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>Fails (never skips) the test when the server is not provided.</summary>
    public static string ServiceUri =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } uri
            ? uri
            : throw new InvalidOperationException(
                $"{Variable} is not set. These tests need a running Azurite: run ./test.sh, or start " +
                "`npx azurite-blob --blobHost 127.0.0.1 --blobPort 10000 --skipApiVersionCheck` and " +
                $"export {Variable}=http://127.0.0.1:10000/devstoreaccount1");

    public static AzureBlobOptions Options(string container, Action<AzureBlobOptions>? configure = null)
    {
        var options = new AzureBlobOptions
        {
            ServiceUri = ServiceUri,
            AccountName = AccountName,
            AccountKey = DevelopmentKey,
            Container = container,
        };
        configure?.Invoke(options);
        return options;
    }
}

/// <summary>One random container per test class, removed afterwards (best effort).</summary>
public sealed class AzuriteContainerFixture : IAsyncLifetime
{
    public string Container { get; } = $"ih-test-{Guid.NewGuid():N}";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable(Azurite.Variable) is not { Length: > 0 } serviceUri) return;
        try
        {
            var container = new BlobContainerClient(new Uri($"{serviceUri.TrimEnd('/')}/{Container}"),
                new StorageSharedKeyCredential(Azurite.AccountName, Azurite.DevelopmentKey));
            await container.DeleteIfExistsAsync();
        }
        catch (RequestFailedException)
        {
            // Cleanup only; the data folder is thrown away with .test-run anyway.
        }
    }
}

/// <summary>Remembers the requests a store sends, to check how it talks to the service (blocks, pages).</summary>
internal sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    public ConcurrentQueue<(HttpMethod Method, string PathAndQuery)> Requests { get; } = new();

    public int Count(HttpMethod method, string queryPart) =>
        Requests.Count(r => r.Method == method && r.PathAndQuery.Contains(queryPart, StringComparison.Ordinal));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Enqueue((request.Method, request.RequestUri!.PathAndQuery));
        return base.SendAsync(request, cancellationToken);
    }
}

/// <summary>A long, deterministic, non-compressible byte sequence that is generated while read, never held.</summary>
internal sealed class PseudoRandomStream(long length, ulong seed) : Stream
{
    private long _position;
    private ulong _state = seed | 1;
    private ulong _word;
    private int _wordBytesLeft;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        for (var i = 0; i < n; i++)
        {
            if (_wordBytesLeft == 0)
            {
                // xorshift64
                _state ^= _state << 13;
                _state ^= _state >> 7;
                _state ^= _state << 17;
                _word = _state;
                _wordBytesLeft = 8;
            }
            buffer[i] = (byte)_word;
            _word >>= 8;
            _wordBytesLeft--;
        }
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
