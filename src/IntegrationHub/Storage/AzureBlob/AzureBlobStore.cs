using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Storage.AzureBlob;

/// <summary>
/// Blobs in one Azure Blob Storage container, through the Azure SDK (Azure.Storage.Blobs). Uploads stream in blocks
/// through one pooled buffer; downloads stream. The SDK's own retries are off unless configured
/// (<see cref="AzureBlobOptions.MaxRetries"/>): callers retry. Failures keep the hub's meaning: a missing blob is
/// <see cref="BlobNotFoundException"/>, an unreachable service <see cref="HttpRequestException"/>, a slow one
/// <see cref="TimeoutException"/>, any other answer <see cref="AzureBlobStoreException"/> with the status and error code.
/// </summary>
public sealed class AzureBlobStore : IBlobStore
{
    public const string HttpClientName = "IntegrationHub.AzureBlob";

    private const int MaxBlocks = 50_000;
    // The service takes blocks up to 4000 MiB; a buffer beyond 256 MiB is never sensible here.
    private const int MaxBlockSizeBytes = 256 * 1024 * 1024;
    private const int MaxNameLength = 1024;

    private readonly AzureBlobOptions _options;
    private readonly BlobContainerClient _container;
    private readonly SemaphoreSlim _containerLock = new(1, 1);
    private volatile bool _containerReady;

    /// <summary>For dependency injection (e.g. a typed client) with options bound from <see cref="AzureBlobOptions.Section"/>.</summary>
    [ActivatorUtilitiesConstructor]
    public AzureBlobStore(HttpClient http, IOptions<AzureBlobOptions> options) : this(http, (options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
    }

    /// <param name="http">Carries the SDK's requests (its pipeline runs over this client).</param>
    /// <param name="options">Where and how to sign in.</param>
    /// <param name="credential">Token credential for a <see cref="AzureBlobOptions.ServiceUri"/> without account key; <c>DefaultAzureCredential</c> when null.</param>
    public AzureBlobStore(HttpClient http, AzureBlobOptions options, TokenCredential? credential = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        if (!IsValidContainerName(options.Container))
            throw new ArgumentException($"{AzureBlobOptions.Section}:Container must be 3-63 lowercase letters, digits and single hyphens.", nameof(options));
        if (options.BlockSizeBytes < 1 || options.BlockSizeBytes > MaxBlockSizeBytes)
            throw new ArgumentException($"{AzureBlobOptions.Section}:BlockSizeBytes must be between 1 and {MaxBlockSizeBytes}.", nameof(options));
        if (options.ListPageSize is < 1 or > 5000)
            throw new ArgumentException($"{AzureBlobOptions.Section}:ListPageSize must be between 1 and 5000.", nameof(options));
        if (options.RequestTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"{AzureBlobOptions.Section}:RequestTimeout must be positive.", nameof(options));
        if (options.MaxRetries is < 0 or > 10)
            throw new ArgumentException($"{AzureBlobOptions.Section}:MaxRetries must be between 0 and 10.", nameof(options));

        var clientOptions = new BlobClientOptions { Transport = new HttpClientTransport(http) };
        clientOptions.Retry.MaxRetries = options.MaxRetries;
        clientOptions.Retry.NetworkTimeout = options.RequestTimeout;
        // Blob bodies are encrypted submissions: never into the SDK's request log.
        clientOptions.Diagnostics.IsLoggingContentEnabled = false;

        _options = options;
        _container = ServiceClient(options, clientOptions, credential).GetBlobContainerClient(options.Container);
    }

    private static BlobServiceClient ServiceClient(AzureBlobOptions options, BlobClientOptions clientOptions, TokenCredential? credential)
    {
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            if (!string.IsNullOrWhiteSpace(options.ServiceUri) || !string.IsNullOrWhiteSpace(options.AccountKey))
                throw new ArgumentException($"{AzureBlobOptions.Section}:ConnectionString names the endpoint and the key itself: leave ServiceUri and AccountKey empty.", nameof(options));
            try
            {
                return new BlobServiceClient(options.ConnectionString, clientOptions);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                // Never echo the connection string: it holds the key.
                throw new ArgumentException($"{AzureBlobOptions.Section}:ConnectionString is not a valid storage connection string.", nameof(options));
            }
        }

        if (!Uri.TryCreate(options.ServiceUri, UriKind.Absolute, out var service) || (service.Scheme != Uri.UriSchemeHttp && service.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(service.Query))
            throw new ArgumentException($"{AzureBlobOptions.Section}:ServiceUri must be an absolute http(s) address without a query (or set ConnectionString).", nameof(options));

        if (string.IsNullOrEmpty(options.AccountKey))
        {
            // A name without its key is a forgotten secret, not a wish for a token.
            if (!string.IsNullOrWhiteSpace(options.AccountName))
                throw new ArgumentException($"{AzureBlobOptions.Section}:AccountKey is required with AccountName; leave both empty to sign in with a token credential.", nameof(options));
            if (service.Scheme != Uri.UriSchemeHttps)
                throw new ArgumentException($"{AzureBlobOptions.Section}:ServiceUri must be https to sign in with a token credential.", nameof(options));
            return new BlobServiceClient(service, credential ?? new DefaultAzureCredential(), clientOptions);
        }

        if (string.IsNullOrWhiteSpace(options.AccountName))
            throw new ArgumentException($"{AzureBlobOptions.Section}:AccountName is required with AccountKey.", nameof(options));
        try
        {
            _ = Convert.FromBase64String(options.AccountKey);
        }
        catch (FormatException)
        {
            // Never echo the key.
            throw new ArgumentException($"{AzureBlobOptions.Section}:AccountKey is not valid base64.", nameof(options));
        }
        return new BlobServiceClient(service, new StorageSharedKeyCredential(options.AccountName, options.AccountKey), clientOptions);
    }

    /// <summary>Creates the container unless it exists (Create Container; 409 ContainerAlreadyExists is fine). Called once, lazily, before the first operation.</summary>
    public Task EnsureContainerAsync(CancellationToken ct = default) =>
        CallAsync("Create Container", async token => await _container.CreateIfNotExistsAsync(cancellationToken: token), ct);

    public async Task PutAsync(string name, Stream content, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var blob = Blob(name);
        await EnsureContainerOnceAsync(ct);

        var blockSize = _options.BlockSizeBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        try
        {
            var read = await content.ReadAtLeastAsync(buffer.AsMemory(0, blockSize), blockSize, throwOnEndOfStream: false, ct);
            if (read < blockSize)
            {
                // Everything fits in one block (including the empty blob): one Put Blob, which also overwrites.
                // The SDK takes no precalculated MD5 here (it could split an upload), so it hashes the block itself.
                var upload = new BlobUploadOptions { TransferValidation = new() { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 } };
                await CallAsync($"Put Blob of '{name}'", async token => await blob.UploadAsync(Block(buffer, read), upload, token), ct);
                return;
            }

            // A random prefix keeps the uncommitted blocks of two concurrent writers of the same name apart.
            var uploadId = Guid.NewGuid().ToString("N");
            var blockIds = new List<string>();
            while (read > 0)
            {
                if (blockIds.Count == MaxBlocks)
                    throw new InvalidOperationException($"The blob exceeds {MaxBlocks} blocks of {blockSize} bytes; raise {AzureBlobOptions.Section}:BlockSizeBytes.");
                // Block ids must all have the same length before encoding: 32 + 8 characters.
                var blockId = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{uploadId}{blockIds.Count:D8}"));
                var count = read;
                await CallAsync($"Put Block of '{name}'", async token => await blob.StageBlockAsync(
                    blockId, Block(buffer, count), new BlockBlobStageBlockOptions { TransferValidation = Checked(buffer, count) }, token), ct);
                blockIds.Add(blockId);
                read = await content.ReadAtLeastAsync(buffer.AsMemory(0, blockSize), blockSize, throwOnEndOfStream: false, ct);
            }
            await CallAsync($"Put Block List of '{name}'", async token => await blob.CommitBlockListAsync(blockIds, cancellationToken: token), ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async Task<Stream> OpenReadAsync(string name, CancellationToken ct = default)
    {
        var blob = Blob(name);
        await EnsureContainerOnceAsync(ct);
        return await CallAsync($"Get Blob of '{name}'", async token =>
        {
            try
            {
                var download = await blob.DownloadStreamingAsync(cancellationToken: token);
                return (Stream)new DownloadStream(download.Value.Content, $"Get Blob of '{name}'", _options.RequestTimeout);
            }
            catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
            {
                throw new BlobNotFoundException(name);
            }
        }, ct);
    }

    public async Task<bool> ExistsAsync(string name, CancellationToken ct = default)
    {
        var blob = Blob(name);
        await EnsureContainerOnceAsync(ct);
        return await CallAsync($"Get Blob Properties of '{name}'", async token =>
        {
            try
            {
                await blob.GetPropertiesAsync(cancellationToken: token);
                return true;
            }
            catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
            {
                return false;
            }
        }, ct);
    }

    public async Task DeleteAsync(string name, CancellationToken ct = default)
    {
        var blob = Blob(name);
        await EnsureContainerOnceAsync(ct);
        // Snapshots would otherwise block the delete; the hub does not take any, so this is just safe.
        await CallAsync($"Delete Blob of '{name}'", async token =>
            await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: token), ct);
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        await EnsureContainerOnceAsync(ct);
        var pages = _container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix.Length > 0 ? prefix : null }, ct)
            .AsPages(pageSizeHint: _options.ListPageSize)
            .GetAsyncEnumerator(ct);
        try
        {
            while (true)
            {
                // The SDK reads one page completely, so no connection stays open while the caller works.
                var page = await CallAsync("List Blobs", async _ =>
                {
                    try
                    {
                        return await pages.MoveNextAsync() ? pages.Current.Values : null;
                    }
                    catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
                    {
                        return null; // the container is gone: nothing under any prefix
                    }
                }, ct);
                if (page is null) yield break;
                foreach (var item in page) yield return item.Name;
            }
        }
        finally
        {
            await pages.DisposeAsync();
        }
    }

    private static MemoryStream Block(byte[] buffer, int count) => new(buffer, 0, count, writable: false);

    /// <summary>The block's MD5, so the service refuses a block damaged on the way.</summary>
    private static UploadTransferValidationOptions Checked(byte[] buffer, int count) => new()
    {
        ChecksumAlgorithm = StorageChecksumAlgorithm.MD5,
        PrecalculatedChecksum = MD5.HashData(buffer.AsSpan(0, count)),
    };

    private async ValueTask EnsureContainerOnceAsync(CancellationToken ct)
    {
        if (_containerReady) return;
        await _containerLock.WaitAsync(ct);
        try
        {
            if (_containerReady) return;
            await EnsureContainerAsync(ct);
            _containerReady = true;
        }
        finally
        {
            _containerLock.Release();
        }
    }

    private Task CallAsync(string operation, Func<CancellationToken, Task> call, CancellationToken ct) =>
        CallAsync(operation, async token => { await call(token); return true; }, ct);

    /// <summary>One call to the service, its failures in the hub's terms (see the class summary).</summary>
    private async Task<T> CallAsync<T>(string operation, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call(ct);
        }
        catch (Exception e) when (Translate(e, operation, _options.RequestTimeout, ct) is { } translated)
        {
            // The container went away (deleted, or an emulator restarted empty): the caller's retry creates it again.
            if (translated is AzureBlobStoreException { ErrorCode: "ContainerNotFound" }) _containerReady = false;
            ExceptionDispatchInfo.Throw(translated);
            throw;
        }
    }

    /// <summary>The hub's exception for a failure of the SDK, or null to let it pass as it is.</summary>
    private static Exception? Translate(Exception e, string operation, TimeSpan timeout, CancellationToken ct)
    {
        // With retries on, the SDK gathers the failures of every try; the last one says what happened.
        if (e is AggregateException { InnerExceptions.Count: > 0 } all) e = all.InnerExceptions[^1];
        return e switch
        {
            // The transport failed (refused, reset, DNS): the same HttpRequestException/IOException the hub always saw.
            RequestFailedException { Status: 0, InnerException: HttpRequestException or IOException } failed => failed.InnerException,
            RequestFailedException failed => new AzureBlobStoreException(operation, (HttpStatusCode)failed.Status, failed.ErrorCode),
            OperationCanceledException when !ct.IsCancellationRequested =>
                new TimeoutException($"Azure Blob Storage did not answer {operation} within {timeout}."),
            HttpRequestException or IOException => e,
            _ => null,
        };
    }

    private BlockBlobClient Blob(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > MaxNameLength)
            throw new ArgumentException($"Blob names are limited to {MaxNameLength} characters.", nameof(name));
        // The URI would collapse dot segments and address a different blob.
        if (name.Split('/').Any(segment => segment is "." or ".."))
            throw new ArgumentException("Blob names must not contain '.' or '..' segments.", nameof(name));
        return _container.GetBlockBlobClient(name);
    }

    private static bool IsValidContainerName(string? name) =>
        name is { Length: >= 3 and <= 63 }
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && name[0] != '-' && name[^1] != '-' && !name.Contains("--", StringComparison.Ordinal);

    /// <summary>
    /// The body of a download. A failure while reading comes out as the hub always saw it (an IOException from the
    /// connection, a TimeoutException from a stalled service) rather than the SDK's AggregateException.
    /// </summary>
    private sealed class DownloadStream(Stream inner, string operation, TimeSpan timeout) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return inner.Read(buffer);
            }
            catch (Exception e) when (Translate(e, operation, timeout, CancellationToken.None) is { } translated)
            {
                ExceptionDispatchInfo.Throw(translated);
                throw;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (Translate(e, operation, timeout, cancellationToken) is { } translated)
            {
                ExceptionDispatchInfo.Throw(translated);
                throw;
            }
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
