using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Delivery;

namespace IntegrationHub.Adapters.Dms;

/// <summary>A DMS object as the hub refers to it: its id and its address (<c>/dms/r/{repositoryId}/o2m/{id}</c>).</summary>
public sealed record DmsObjectRef(string Id, string Href);

/// <summary>
/// The calls of d.velop's DMS API (HAL+JSON) the hub needs, against one repository:
/// <list type="bullet">
/// <item>content upload in chunks to the temporary location: the first chunk <c>POST /dms/r/{repo}/blob/chunk/</c>
/// answers with its <c>Location</c>, every further chunk is posted to that location;</item>
/// <item>object creation <c>POST /dms/r/{repo}/o2m</c> with <c>sourceId</c>, <c>sourceCategory</c>, <c>parentId</c>,
/// <c>sourceProperties.properties[{key, values}]</c> and, for a document, <c>filename</c> and <c>contentLocationUri</c>
/// (the upload's location); the answer's <c>Location</c> names the new object;</item>
/// <item>search <c>GET /dms/r/{repo}/srm?sourceid=…&amp;sourcecategories=["…"]&amp;sourceproperties={"key":["value"]}&amp;children_of=…</c>,
/// whose <c>items</c> carry <c>id</c> and <c>_links.self</c>.</item>
/// </list>
/// </summary>
internal sealed class DmsApi(HttpClient http, DeliveryCall call, DmsTargetOptions options)
{
    private readonly Uri _base = DmsHttp.BaseUri(call);

    private string Repository => Uri.EscapeDataString(options.RepositoryId);

    /// <summary>Uploads the content chunk by chunk (one chunk in memory at a time); returns its temporary location.</summary>
    public async Task<string> UploadAsync(Stream content, CancellationToken ct)
    {
        var size = options.ChunkSizeBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            string? location = null;
            while (true)
            {
                // Reads until the chunk is full or the content ends; the end is only reached after the source has
                // checked its integrity (an attachment that is not authentic throws here, before anything is filed).
                var filled = await FillAsync(content, buffer, size, ct);
                if (filled == 0 && location is not null) break;
                var uri = location is null ? new Uri(_base, $"r/{Repository}/blob/chunk/") : new Uri(_base, location);
                using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(buffer, 0, filled) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                using var response = await DmsHttp.SendAsync(http, call, options.ApiKey, request, "a chunk upload", ct);
                await DmsHttp.EnsureSuccessAsync(response, call, "a chunk upload", ct);
                location ??= response.Headers.Location?.OriginalString
                    ?? throw new TransientDeliveryException($"{call.Target} answered the chunk upload without a Location.");
                if (filled < size) break;
            }
            return location;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The first object of the category with all these property values (and under <paramref name="childrenOf"/>, if given).</summary>
    public async Task<DmsObjectRef?> FindAsync(string category, IReadOnlyDictionary<string, string> properties, string? childrenOf, CancellationToken ct)
    {
        var query = new List<string>
        {
            "sourceid=" + Uri.EscapeDataString(options.EffectiveSourceId),
            "sourcecategories=" + Uri.EscapeDataString(JsonSerializer.Serialize(new[] { category })),
            "sourceproperties=" + Uri.EscapeDataString(JsonSerializer.Serialize(properties.ToDictionary(p => p.Key, p => new[] { p.Value }))),
        };
        if (childrenOf is not null) query.Add("children_of=" + Uri.EscapeDataString(childrenOf));
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, $"r/{Repository}/srm?{string.Join('&', query)}"));
        using var response = await DmsHttp.SendAsync(http, call, options.ApiKey, request, "a search", ct);
        await DmsHttp.EnsureSuccessAsync(response, call, "a search", ct);
        var result = await ReadJsonAsync(response, "search", ct);
        if (result["items"] is not JsonArray items) throw new TransientDeliveryException($"{call.Target} answered a search without items.");
        foreach (var item in items)
        {
            if (item?["id"]?.GetValue<string>() is { Length: > 0 } id)
                return new DmsObjectRef(id, item["_links"]?["self"]?["href"]?.GetValue<string>() ?? ObjectPath(id));
        }
        return null;
    }

    /// <summary>
    /// Creates an object; null when the DMS refuses it as a duplicate (409: its filing key exists, another call was
    /// faster), so the caller finds the existing one instead.
    /// </summary>
    public async Task<DmsObjectRef?> CreateAsync(string category, string? parentId, IReadOnlyDictionary<string, string> properties,
        string? fileName, string? contentLocationUri, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["sourceId"] = options.EffectiveSourceId,
            ["sourceCategory"] = category,
            ["sourceProperties"] = new JsonObject
            {
                ["properties"] = new JsonArray(properties.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["values"] = new JsonArray(p.Value) }).ToArray()),
            },
        };
        if (parentId is not null) body["parentId"] = parentId;
        if (fileName is not null) body["filename"] = fileName;
        if (contentLocationUri is not null) body["contentLocationUri"] = contentLocationUri;

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, $"r/{Repository}/o2m")) { Content = JsonContent.Create(body) };
        var what = $"the creation of a {category}";
        using var response = await DmsHttp.SendAsync(http, call, options.ApiKey, request, what, ct);
        if (response.StatusCode == HttpStatusCode.Conflict) return null;
        await DmsHttp.EnsureSuccessAsync(response, call, what, ct);
        var location = response.Headers.Location?.OriginalString
            ?? throw new TransientDeliveryException($"{call.Target} answered {what} without a Location.");
        return new DmsObjectRef(IdFromLocation(location), location);
    }

    /// <summary>"/dms/r/{repo}/o2m/{id}?sourceid=…" → "{id}".</summary>
    internal static string IdFromLocation(string location)
    {
        var path = location.Split('?', 2)[0].TrimEnd('/');
        var id = path[(path.LastIndexOf('/') + 1)..];
        return Uri.UnescapeDataString(id);
    }

    private string ObjectPath(string id) => $"{_base.AbsolutePath.TrimEnd('/')}/r/{Repository}/o2m/{Uri.EscapeDataString(id)}";

    private async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        try
        {
            return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))
                ?? throw new TransientDeliveryException($"{call.Target} answered a {what} with an empty body.");
        }
        catch (JsonException e)
        {
            throw new TransientDeliveryException($"{call.Target} answered a {what} with malformed JSON.", null, e);
        }
    }

    private static async Task<int> FillAsync(Stream source, byte[] buffer, int size, CancellationToken ct)
    {
        var filled = 0;
        while (filled < size)
        {
            var read = await source.ReadAsync(buffer.AsMemory(filled, size - filled), ct);
            if (read == 0) break;
            filled += read;
        }
        return filled;
    }
}
