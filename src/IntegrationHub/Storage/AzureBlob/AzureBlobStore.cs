using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Storage.AzureBlob;

/// <summary>
/// Blobs in one Azure Blob Storage container, spoken to over the REST API with Shared Key authorization
/// (the Azure SDK does not restore here). Uploads stream in blocks through one pooled buffer; downloads stream.
/// Callers retry; this class does not.
/// </summary>
public sealed class AzureBlobStore : IBlobStore
{
    public const string HttpClientName = "IntegrationHub.AzureBlob";
    /// <summary>The REST API version the requests are written against.</summary>
    public const string ApiVersion = "2021-08-06";

    private const int MaxBlocks = 50_000;
    // The service takes blocks up to 4000 MiB; a buffer beyond 256 MiB is never sensible here.
    private const int MaxBlockSizeBytes = 256 * 1024 * 1024;
    private const int MaxNameLength = 1024;

    private static readonly XmlReaderSettings SafeXml = new()
    {
        Async = true,
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreWhitespace = true,
        IgnoreProcessingInstructions = true,
        MaxCharactersInDocument = 64L * 1024 * 1024,
    };

    private readonly HttpClient _http;
    private readonly AzureBlobOptions _options;
    private readonly byte[] _key;
    private readonly string _containerUri;
    private readonly SemaphoreSlim _containerLock = new(1, 1);
    private volatile bool _containerReady;

    /// <summary>For dependency injection (e.g. a typed client) with options bound from <see cref="AzureBlobOptions.Section"/>.</summary>
    [ActivatorUtilitiesConstructor]
    public AzureBlobStore(HttpClient http, IOptions<AzureBlobOptions> options) : this(http, (options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
    }

    public AzureBlobStore(HttpClient http, AzureBlobOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        if (!Uri.TryCreate(options.ServiceUri, UriKind.Absolute, out var service) || (service.Scheme != Uri.UriSchemeHttp && service.Scheme != Uri.UriSchemeHttps)
            || !string.IsNullOrEmpty(service.Query))
            throw new ArgumentException($"{AzureBlobOptions.Section}:ServiceUri must be an absolute http(s) address without a query.", nameof(options));
        if (string.IsNullOrWhiteSpace(options.AccountName))
            throw new ArgumentException($"{AzureBlobOptions.Section}:AccountName is required.", nameof(options));
        if (!IsValidContainerName(options.Container))
            throw new ArgumentException($"{AzureBlobOptions.Section}:Container must be 3-63 lowercase letters, digits and single hyphens.", nameof(options));
        if (options.BlockSizeBytes < 1 || options.BlockSizeBytes > MaxBlockSizeBytes)
            throw new ArgumentException($"{AzureBlobOptions.Section}:BlockSizeBytes must be between 1 and {MaxBlockSizeBytes}.", nameof(options));
        if (options.ListPageSize is < 1 or > 5000)
            throw new ArgumentException($"{AzureBlobOptions.Section}:ListPageSize must be between 1 and 5000.", nameof(options));
        if (options.RequestTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"{AzureBlobOptions.Section}:RequestTimeout must be positive.", nameof(options));
        try
        {
            _key = Convert.FromBase64String(options.AccountKey);
        }
        catch (FormatException)
        {
            // Never echo the key.
            throw new ArgumentException($"{AzureBlobOptions.Section}:AccountKey is not valid base64.", nameof(options));
        }
        if (_key.Length == 0)
            throw new ArgumentException($"{AzureBlobOptions.Section}:AccountKey is required.", nameof(options));

        _http = http;
        _options = options;
        _containerUri = options.ServiceUri.TrimEnd('/') + "/" + options.Container;
    }

    /// <summary>Creates the container unless it exists. Called once, lazily, before the first operation.</summary>
    public async Task EnsureContainerAsync(CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, _containerUri + "?restype=container");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        if (response.IsSuccessStatusCode) return;
        if (response.StatusCode == HttpStatusCode.Conflict && ErrorCodeHeader(response) is null or "ContainerAlreadyExists") return;
        throw await ErrorAsync(response, "Create Container", ct);
    }

    public async Task PutAsync(string name, Stream content, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var uri = BlobUri(name);
        await EnsureContainerOnceAsync(ct);

        var blockSize = _options.BlockSizeBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        try
        {
            var read = await content.ReadAtLeastAsync(buffer.AsMemory(0, blockSize), blockSize, throwOnEndOfStream: false, ct);
            if (read < blockSize)
            {
                // Everything fits in one block (including the empty blob): one Put Blob, which also overwrites.
                await PutBlobAsync(uri, name, buffer, read, ct);
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
                await PutBlockAsync(uri, name, blockId, buffer, read, ct);
                blockIds.Add(blockId);
                read = await content.ReadAtLeastAsync(buffer.AsMemory(0, blockSize), blockSize, throwOnEndOfStream: false, ct);
            }
            await PutBlockListAsync(uri, name, blockIds, ct);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async Task<Stream> OpenReadAsync(string name, CancellationToken ct = default)
    {
        var uri = BlobUri(name);
        await EnsureContainerOnceAsync(ct);
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        HttpResponseMessage? response = null;
        try
        {
            response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.StatusCode == HttpStatusCode.NotFound) throw new BlobNotFoundException(name);
            if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, $"Get Blob of '{name}'", ct);
            var body = await response.Content.ReadAsStreamAsync(ct);
            var stream = new ResponseStream(body, response, request);
            response = null;
            request = null;
            return stream;
        }
        finally
        {
            response?.Dispose();
            request?.Dispose();
        }
    }

    public async Task<bool> ExistsAsync(string name, CancellationToken ct = default)
    {
        var uri = BlobUri(name);
        await EnsureContainerOnceAsync(ct);
        using var request = new HttpRequestMessage(HttpMethod.Head, uri);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        if (response.IsSuccessStatusCode) return true;
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        throw await ErrorAsync(response, $"Get Blob Properties of '{name}'", ct);
    }

    public async Task DeleteAsync(string name, CancellationToken ct = default)
    {
        var uri = BlobUri(name);
        await EnsureContainerOnceAsync(ct);
        using var request = new HttpRequestMessage(HttpMethod.Delete, uri);
        // Snapshots would otherwise block the delete; the hub does not take any, so this is just safe.
        request.Headers.TryAddWithoutValidation("x-ms-delete-snapshots", "include");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.NotFound) return;
        throw await ErrorAsync(response, $"Delete Blob of '{name}'", ct);
    }

    public async IAsyncEnumerable<string> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        await EnsureContainerOnceAsync(ct);
        string? marker = null;
        do
        {
            // Read one page completely before yielding, so no connection stays open while the caller works.
            var (names, next) = await ListPageAsync(prefix, marker, ct);
            foreach (var name in names) yield return name;
            marker = next;
        }
        while (!string.IsNullOrEmpty(marker));
    }

    private async Task<(List<string> Names, string? NextMarker)> ListPageAsync(string prefix, string? marker, CancellationToken ct)
    {
        var query = new StringBuilder("?restype=container&comp=list");
        if (prefix.Length > 0) query.Append("&prefix=").Append(Uri.EscapeDataString(prefix));
        if (!string.IsNullOrEmpty(marker)) query.Append("&marker=").Append(Uri.EscapeDataString(marker));
        if (_options.ListPageSize is { } size) query.Append("&maxresults=").Append(size);

        using var request = new HttpRequestMessage(HttpMethod.Get, _containerUri + query);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return ([], null);
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, "List Blobs", ct);

        var names = new List<string>();
        string? next = null;
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var reader = XmlReader.Create(body, SafeXml);
        await reader.MoveToContentAsync();
        // EnumerationResults(0) / Blobs(1) / Blob(2) / Name(3); NextMarker(1).
        while (!reader.EOF)
        {
            ct.ThrowIfCancellationRequested();
            if (reader.NodeType == XmlNodeType.Element && reader.Depth == 3 && reader.LocalName == "Name")
            {
                // Names with characters XML cannot carry come percent-encoded and flagged.
                var encoded = string.Equals(reader.GetAttribute("Encoded"), "true", StringComparison.OrdinalIgnoreCase);
                var value = await reader.ReadElementContentAsStringAsync();
                names.Add(encoded ? Uri.UnescapeDataString(value) : value);
                continue;
            }
            if (reader.NodeType == XmlNodeType.Element && reader.Depth == 1 && reader.LocalName == "NextMarker")
            {
                next = await reader.ReadElementContentAsStringAsync();
                continue;
            }
            await reader.ReadAsync();
        }
        return (names, next);
    }

    private async Task PutBlobAsync(string uri, string name, byte[] buffer, int count, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, uri) { Content = BlockContent(buffer, count) };
        request.Headers.TryAddWithoutValidation("x-ms-blob-type", "BlockBlob");
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, $"Put Blob of '{name}'", ct);
    }

    private async Task PutBlockAsync(string uri, string name, string blockId, byte[] buffer, int count, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{uri}?comp=block&blockid={Uri.EscapeDataString(blockId)}")
        {
            Content = BlockContent(buffer, count),
        };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, $"Put Block of '{name}'", ct);
    }

    private async Task PutBlockListAsync(string uri, string name, List<string> blockIds, CancellationToken ct)
    {
        var xml = new StringBuilder(64 + blockIds.Count * 80).Append("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
        foreach (var id in blockIds) xml.Append("<Latest>").Append(id).Append("</Latest>");
        xml.Append("</BlockList>");
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(xml.ToString()));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/xml") { CharSet = "utf-8" };

        using var request = new HttpRequestMessage(HttpMethod.Put, uri + "?comp=blocklist") { Content = content };
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        if (!response.IsSuccessStatusCode) throw await ErrorAsync(response, $"Put Block List of '{name}'", ct);
    }

    private static ByteArrayContent BlockContent(byte[] buffer, int count)
    {
        var content = new ByteArrayContent(buffer, 0, count);
        // The service checks the MD5 and refuses a block damaged on the way.
        content.Headers.ContentMD5 = MD5.HashData(buffer.AsSpan(0, count));
        return content;
    }

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

    /// <summary>Versions, signs and sends one request; the timeout covers the call up to the response headers.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken ct)
    {
        request.Headers.TryAddWithoutValidation("x-ms-version", ApiVersion);
        SharedKeyAuthorization.Authorize(request, _options.AccountName, _key, DateTimeOffset.UtcNow);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.RequestTimeout);
        try
        {
            return await _http.SendAsync(request, completion, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"Azure Blob Storage did not answer {request.Method} within {_options.RequestTimeout}.");
        }
    }

    private static async Task<AzureBlobStoreException> ErrorAsync(HttpResponseMessage response, string operation, CancellationToken ct)
    {
        var code = ErrorCodeHeader(response);
        if (code is null && response.RequestMessage?.Method != HttpMethod.Head)
        {
            try
            {
                // <Error><Code>…</Code><Message>…</Message></Error>; only the code is kept.
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                using var reader = XmlReader.Create(body, SafeXml);
                while (await reader.ReadAsync())
                {
                    if (reader.NodeType == XmlNodeType.Element && reader.Depth == 1 && reader.LocalName == "Code")
                    {
                        code = await reader.ReadElementContentAsStringAsync();
                        break;
                    }
                }
            }
            catch (XmlException)
            {
                // No XML error body; the status code has to do.
            }
        }
        return new AzureBlobStoreException(operation, response.StatusCode, code);
    }

    private static string? ErrorCodeHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-ms-error-code", out var values) ? values.FirstOrDefault() : null;

    /// <summary>The blob's address: every path segment escaped, "/" kept.</summary>
    private string BlobUri(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > MaxNameLength)
            throw new ArgumentException($"Blob names are limited to {MaxNameLength} characters.", nameof(name));
        var segments = name.Split('/');
        var sb = new StringBuilder(_containerUri.Length + name.Length * 3);
        sb.Append(_containerUri);
        foreach (var segment in segments)
        {
            // The URI would collapse dot segments and address a different blob.
            if (segment is "." or "..")
                throw new ArgumentException("Blob names must not contain '.' or '..' segments.", nameof(name));
            sb.Append('/').Append(Uri.EscapeDataString(segment));
        }
        return sb.ToString();
    }

    private static bool IsValidContainerName(string? name) =>
        name is { Length: >= 3 and <= 63 }
        && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && name[0] != '-' && name[^1] != '-' && !name.Contains("--", StringComparison.Ordinal);

    /// <summary>The body of a download; disposing it releases the HTTP response and its connection.</summary>
    private sealed class ResponseStream(Stream inner, HttpResponseMessage response, HttpRequestMessage request) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override int Read(Span<byte> buffer) => inner.Read(buffer);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer, cancellationToken);
        public override Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken) =>
            inner.CopyToAsync(destination, bufferSize, cancellationToken);

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
                response.Dispose();
                request.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
