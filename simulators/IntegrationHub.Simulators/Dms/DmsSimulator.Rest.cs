using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Simulators.Dms;

/// <summary>The d.velop-style HAL+JSON endpoints.</summary>
public sealed partial class DmsSimulator
{
    private const long MaxChunkBytes = 64L * 1024 * 1024;

    private Task<Answer> GetRepository(HttpContext context)
    {
        var source = Uri.EscapeDataString(SourceId);
        var repository = $"/dms/r/{RepositoryId}";
        return Task.FromResult(Hal(200, new JsonObject
        {
            ["_links"] = new JsonObject
            {
                ["self"] = Link(repository),
                ["source"] = Link(SourceId),
                ["chunkedupload"] = Link($"{repository}/blob/chunk/"),
                ["dmsobjectwithmapping"] = new JsonObject { ["href"] = $"{repository}/o2m/{{dmsobjectid}}{{?sourceid}}", ["templated"] = true },
                ["searchresultwithmapping"] = new JsonObject
                {
                    ["href"] = $"{repository}/srm{{?sourceid,sourcecategories,sourceproperties,children_of}}",
                    ["templated"] = true,
                },
            },
            ["id"] = RepositoryId,
            ["name"] = "E-Akte (simulated)",
            ["defaultSourceId"] = source,
        }));
    }

    private Task<Answer> GetSource(HttpContext context) => Task.FromResult(Hal(200, new JsonObject
    {
        ["id"] = SourceId,
        ["displayName"] = "E-Akte",
        ["categories"] = new JsonArray(DmsSchema.Categories.Keys.Select(k => (JsonNode)new JsonObject { ["key"] = k, ["displayName"] = k }).ToArray()),
        ["properties"] = new JsonArray(DmsSchema.Properties
            .Select(k => (JsonNode)new JsonObject { ["key"] = k, ["type"] = "STRING", ["displayName"] = k }).ToArray()),
    }));

    /// <summary>First chunk: a new temporary location, named in Location.</summary>
    private async Task<Answer> StartUploadAsync(HttpContext context)
    {
        var id = Guid.NewGuid().ToString("N");
        var upload = new TemporaryUpload(id, Path.Combine(_directory, "upload-" + id));
        lock (_gate)
        {
            _uploads[id] = upload;
        }

        return await AppendAsync(context, upload, 201).ConfigureAwait(false);
    }

    /// <summary>Further chunks go to the location the first one got.</summary>
    private async Task<Answer> AppendUploadAsync(HttpContext context)
    {
        var id = context.Request.RouteValues["uploadId"]?.ToString() ?? string.Empty;
        TemporaryUpload? upload;
        lock (_gate)
        {
            upload = _uploads.GetValueOrDefault(id);
        }

        return upload is null
            ? Problem(404, "upload-not-found", "No such temporary location", "The upload is unknown or was already used by an object.")
            : await AppendAsync(context, upload, 200).ConfigureAwait(false);
    }

    private async Task<Answer> AppendAsync(HttpContext context, TemporaryUpload upload, int status)
    {
        LiftBodyLimit(context, MaxChunkBytes);
        await upload.Gate.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        try
        {
            if (upload.Used)
            {
                return Problem(409, "upload-used", "Temporary location already used", "The upload was already used by an object.");
            }

            await using var file = new FileStream(upload.Path, FileMode.Append, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous);
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (upload.Size + read > MaxContentBytes)
                {
                    return Problem(413, "content-too-large", "Content too large", $"At most {MaxContentBytes} bytes per document.");
                }

                await file.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted).ConfigureAwait(false);
                upload.Hash.AppendData(buffer, 0, read);
                upload.Size += read;
            }

            upload.Chunks++;
            return new Answer(status, "application/json", []) { Location = $"/dms/r/{RepositoryId}/blob/chunk/{upload.Id}" };
        }
        finally
        {
            upload.Gate.Release();
        }
    }

    /// <summary>POST o2m: {sourceId, sourceCategory, parentId, filename, contentLocationUri, sourceProperties.properties[{key, values}]}.</summary>
    private async Task<Answer> CreateObjectAsync(HttpContext context)
    {
        JsonObject? body;
        try
        {
            body = context.Request.ContentLength > MaxJsonBytes
                ? null
                : await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false) as JsonObject;
        }
        catch (JsonException)
        {
            body = null;
        }

        if (body is null)
        {
            return Problem(400, "malformed-json", "Malformed request", "Expected a JSON object with sourceId, sourceCategory and sourceProperties.");
        }

        if (Text(body, "sourceId") != SourceId)
        {
            return Problem(400, "unknown-source", "Unknown source", $"sourceId must be {SourceId}.");
        }

        var category = Text(body, "sourceCategory");
        if (category is null || !DmsSchema.Categories.ContainsKey(category))
        {
            return Problem(400, "unknown-category", "Unknown category", $"sourceCategory '{category}' is not a category of this repository.");
        }

        var (properties, refusal) = ReadProperties(body["sourceProperties"]?["properties"] as JsonArray);
        if (refusal is not null)
        {
            return refusal;
        }

        var parentId = Text(body, "parentId");
        var fileName = Text(body, "filename");
        var contentLocation = Text(body, "contentLocationUri");
        if (category != DmsSchema.Dokument)
        {
            return contentLocation is not null
                ? Problem(400, "content-not-allowed", "Content not allowed", $"A {category} has no content.")
                : Create(category, parentId, properties!, "rest", content: null);
        }

        if (contentLocation is null || fileName is null)
        {
            return Problem(400, "content-missing", "Content missing", "A Dokument needs filename and contentLocationUri (a temporary location from blob/chunk).");
        }

        var uploadPrefix = $"/dms/r/{RepositoryId}/blob/chunk/";
        var uploadId = contentLocation.StartsWith(uploadPrefix, StringComparison.Ordinal) ? contentLocation[uploadPrefix.Length..] : string.Empty;
        TemporaryUpload? upload;
        lock (_gate)
        {
            upload = _uploads.GetValueOrDefault(uploadId);
        }

        if (upload is null)
        {
            return Problem(400, "content-not-found", "Content not found", "contentLocationUri names no unused temporary location of this repository.");
        }

        await upload.Gate.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        try
        {
            if (upload.Used)
            {
                return Problem(400, "content-not-found", "Content not found", "The temporary location was already used by an object.");
            }

            var content = new PendingContent(upload.Path, new DmsContent(fileName, upload.Size, Convert.ToHexStringLower(upload.Hash.GetCurrentHash()), upload.Chunks));
            var answer = Create(category, parentId, properties!, "rest", content);
            if (answer.Status == 201)
            {
                upload.Used = true;
                lock (_gate)
                {
                    _uploads.Remove(upload.Id);
                }
            }

            return answer;
        }
        finally
        {
            upload.Gate.Release();
        }
    }

    /// <summary>A content ready to become a Dokument's: its file (moved into place on creation) and what the DMS knows of it.</summary>
    private sealed record PendingContent(string Path, DmsContent Content);

    /// <summary>Creates the object after the parent and filing key checks; 201 with Location and the object, or the problem.</summary>
    private Answer Create(string category, string? parentId, Dictionary<string, string> properties, string channel, PendingContent? content)
    {
        var (created, refusal) = TryCreate(category, parentId, properties, channel, content);
        return refusal ?? Hal(201, ObjectJson(created!), $"{ObjectPath(created!.Id)}?sourceid={Uri.EscapeDataString(SourceId)}");
    }

    private (DmsObject? Created, Answer? Refusal) TryCreate(string category, string? parentId, Dictionary<string, string> properties, string channel,
        PendingContent? content)
    {
        var (mandatory, parentCategory) = DmsSchema.Categories[category];
        var missing = mandatory.Where(m => !properties.TryGetValue(m, out var v) || string.IsNullOrWhiteSpace(v)).ToList();
        if (missing.Count > 0)
        {
            return (null, Problem(400, "missing-properties", "Mandatory properties missing", $"A {category} needs {string.Join(", ", missing)}."));
        }

        lock (_gate)
        {
            if (parentCategory is null && parentId is not null)
            {
                return (null, Problem(400, "invalid-parent", "Invalid parent", $"A {category} has no parent."));
            }

            if (parentCategory is not null)
            {
                if (parentId is null)
                {
                    return (null, Problem(400, "invalid-parent", "Parent missing", $"A {category} needs a parentId (a {parentCategory})."));
                }

                var parent = _objects.FirstOrDefault(o => o.Id == parentId);
                if (parent is null)
                {
                    return (null, Problem(404, "parent-not-found", "Parent not found", $"No object {parentId}."));
                }

                if (parent.Category != parentCategory)
                {
                    return (null, Problem(400, "invalid-parent", "Invalid parent", $"A {category} belongs in a {parentCategory}, not in a {parent.Category}."));
                }
            }

            var filingKey = properties[DmsSchema.FilingKey];
            var existing = _objects.FirstOrDefault(o => o.Property(DmsSchema.FilingKey) == filingKey);
            if (existing is not null)
            {
                return (null, Problem(409, "duplicate-filing-key", "Filing key exists", $"Object {existing.Id} has this {DmsSchema.FilingKey}."));
            }

            var id = NextId(category);
            if (content is not null)
            {
                var path = Path.Combine(_directory, "content-" + id);
                File.Move(content.Path, path);
                _contentFiles[id] = path;
            }

            var created = new DmsObject(id, category, parentId, properties, _time.GetUtcNow(), channel, content?.Content);
            _objects.Add(created);
            return (created, null);
        }
    }

    private Task<Answer> GetObject(HttpContext context)
    {
        var found = Find(context.Request.RouteValues["id"]?.ToString() ?? string.Empty);
        return Task.FromResult(found is null ? Problem(404, "object-not-found", "No such object") : Hal(200, ObjectJson(found)));
    }

    private Task<Answer> GetContent(HttpContext context)
    {
        var found = Find(context.Request.RouteValues["id"]?.ToString() ?? string.Empty);
        if (found?.Content is null)
        {
            return Task.FromResult(Problem(404, "content-not-found", "No such content"));
        }

        return Task.FromResult(new Answer(200, "application/octet-stream", [])
        {
            Writer = async ctx =>
            {
                ctx.Response.ContentLength = found.Content.SizeBytes;
                await using var content = OpenContent(found.Id);
                await content.CopyToAsync(ctx.Response.Body, ctx.RequestAborted).ConfigureAwait(false);
            },
        });
    }

    /// <summary>GET srm?sourceid=&amp;sourcecategories=["c"]&amp;sourceproperties={"key":["v1","v2"]}&amp;children_of=id: all conditions must hold, any listed value of a key.</summary>
    private Task<Answer> Search(HttpContext context)
    {
        var query = context.Request.Query;
        if (query["sourceid"].ToString() is { Length: > 0 } source && source != SourceId)
        {
            return Task.FromResult(Problem(400, "unknown-source", "Unknown source", $"sourceid must be {SourceId}."));
        }

        string[] categories;
        Dictionary<string, string[]> properties;
        try
        {
            categories = query["sourcecategories"].ToString() is { Length: > 0 } c ? JsonSerializer.Deserialize<string[]>(c) ?? [] : [];
            properties = query["sourceproperties"].ToString() is { Length: > 0 } p
                ? JsonSerializer.Deserialize<Dictionary<string, string[]>>(p) ?? []
                : [];
        }
        catch (JsonException)
        {
            return Task.FromResult(Problem(400, "malformed-query", "Malformed search",
                "sourcecategories must be a JSON array of strings, sourceproperties a JSON object of string arrays."));
        }

        if (categories.FirstOrDefault(c => !DmsSchema.Categories.ContainsKey(c)) is { } unknownCategory)
        {
            return Task.FromResult(Problem(400, "unknown-category", "Unknown category", $"'{unknownCategory}' is not a category of this repository."));
        }

        if (properties.Keys.FirstOrDefault(k => !DmsSchema.Properties.Contains(k)) is { } unknownProperty)
        {
            return Task.FromResult(Problem(400, "unknown-property", "Unknown property", $"'{unknownProperty}' is not a property of this repository."));
        }

        var childrenOf = query["children_of"].ToString();
        var items = Objects
            .Where(o => categories.Length == 0 || categories.Contains(o.Category))
            .Where(o => childrenOf.Length == 0 || o.ParentId == childrenOf)
            .Where(o => properties.All(p => p.Value.Contains(o.Property(p.Key))))
            .Select(o => (JsonNode)ObjectJson(o))
            .ToArray();
        return Task.FromResult(Hal(200, new JsonObject
        {
            ["_links"] = new JsonObject { ["self"] = Link(context.Request.Path + context.Request.QueryString) },
            ["page"] = 1,
            ["items"] = new JsonArray(items),
        }));
    }

    /// <summary>sourceProperties.properties: each a known key with exactly one non-empty value, each key once.</summary>
    private static (Dictionary<string, string>? Properties, Answer? Refusal) ReadProperties(JsonArray? list)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in list ?? [])
        {
            var key = entry?["key"] is JsonValue k && k.TryGetValue<string>(out var keyText) ? keyText : null;
            if (key is null || !DmsSchema.Properties.Contains(key))
            {
                return (null, Problem(400, "unknown-property", "Unknown property", $"'{key}' is not a property of this repository."));
            }

            var values = entry?["values"] as JsonArray;
            var value = values is { Count: 1 } && values[0] is JsonValue v && v.TryGetValue<string>(out var text) ? text : null;
            if (value is null || !properties.TryAdd(key, value))
            {
                return (null, Problem(400, "invalid-property", "Invalid property", $"Property '{key}' must appear once with exactly one string value."));
            }
        }

        return (properties, null);
    }

    private static string? Text(JsonObject body, string name) =>
        body[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
}
