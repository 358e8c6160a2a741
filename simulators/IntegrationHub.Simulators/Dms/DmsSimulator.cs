using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Simulators.Procedures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Dms;

/// <summary>
/// A d.3-like DMS / E-Akte with d.velop's HAL+JSON API under /dms (one repository, <see cref="RepositoryId"/>):
/// chunked content upload to a temporary location, object creation (o2m) with source category, source properties
/// and parent, object details with _links, content download and search (srm) by category, properties and parent;
/// plus an xdomea endpoint that unpacks a Geschäftsgang message's ZIP container and files it the same way. Checks
/// the bearer key, the categories, the mandatory properties and the parent of every object, hashes every content,
/// and keeps the filing key property unique (a second object with the same key is refused with 409). Contents are
/// kept in files under a temporary folder, removed on dispose.
/// </summary>
public sealed partial class DmsSimulator : IDisposable
{
    /// <summary>The repository id the simulator answers to unless set otherwise.</summary>
    public const string DefaultRepositoryId = "7c3a9e2e-5d1b-4f0a-9c61-3e8f2b4d6a10";

    /// <summary>Largest content of one Dokument, and largest xdomea container.</summary>
    public const long MaxContentBytes = 512L * 1024 * 1024;

    private const int MaxRecordedCalls = 10_000;
    private const int MaxJsonBytes = 1024 * 1024;

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _directory = Directory.CreateTempSubdirectory("ih-dms-sim-").FullName;
    private readonly object _gate = new();
    private readonly List<DmsObject> _objects = [];
    private readonly Dictionary<string, string> _contentFiles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TemporaryUpload> _uploads = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, XdomeaFiling> _xdomea = [];
    private readonly List<DmsCall> _calls = [];
    private int _counter;

    public DmsSimulator(TimeProvider time, ILogger<DmsSimulator> logger)
    {
        _time = time;
        _logger = logger;
    }

    /// <summary>The one repository this DMS holds.</summary>
    public string RepositoryId { get; set; } = DefaultRepositoryId;

    /// <summary>The bearer key callers must present; when null any bearer key is taken (but one is required).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Fault injection applied to every call.</summary>
    public FaultInjection Faults { get; } = new();

    public string SourceId => $"/dms/r/{RepositoryId}/source";

    public IReadOnlyList<DmsObject> Objects
    {
        get { lock (_gate) { return _objects.ToArray(); } }
    }

    public IReadOnlyList<DmsObject> Akten => Objects.Where(o => o.Category == DmsSchema.Akte).ToList();

    public IReadOnlyList<DmsObject> Vorgaenge => Objects.Where(o => o.Category == DmsSchema.Vorgang).ToList();

    public IReadOnlyList<DmsObject> Dokumente => Objects.Where(o => o.Category == DmsSchema.Dokument).ToList();

    public IReadOnlyList<DmsCall> Calls
    {
        get { lock (_gate) { return _calls.ToArray(); } }
    }

    public IReadOnlyList<XdomeaFiling> XdomeaMessages
    {
        get { lock (_gate) { return _xdomea.Values.ToArray(); } }
    }

    public DmsObject? Find(string id)
    {
        lock (_gate)
        {
            return _objects.FirstOrDefault(o => o.Id == id);
        }
    }

    /// <summary>Every Vorgang with this Aktenzeichen, with its Akte and its Dokumente.</summary>
    public IReadOnlyList<DmsFiledVorgang> FiledUnder(string aktenzeichen)
    {
        lock (_gate)
        {
            return _objects
                .Where(o => o.Category == DmsSchema.Vorgang && o.Property(DmsSchema.Aktenzeichen) == aktenzeichen)
                .Select(v => new DmsFiledVorgang(
                    _objects.First(a => a.Id == v.ParentId),
                    v,
                    _objects.Where(d => d.ParentId == v.Id && d.Category == DmsSchema.Dokument).ToList()))
                .ToList();
        }
    }

    /// <summary>A Dokument's stored content (the caller disposes the stream).</summary>
    public Stream OpenContent(string dokumentId)
    {
        string path;
        lock (_gate)
        {
            path = _contentFiles.TryGetValue(dokumentId, out var p) ? p : throw new KeyNotFoundException($"Dokument {dokumentId} has no content.");
        }

        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.Asynchronous);
    }

    /// <summary>Forgets all objects, uploads, messages, calls and faults.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _objects.Clear();
            foreach (var upload in _uploads.Values)
            {
                TryDelete(upload.Path);
            }

            _uploads.Clear();
            _xdomea.Clear();
            _calls.Clear();
            foreach (var file in _contentFiles.Values)
            {
                TryDelete(file);
            }

            _contentFiles.Clear();
        }

        Faults.Reset();
    }

    /// <summary>Maps the simulator's endpoints under /dms.</summary>
    public void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/dms/r/{repositoryId}", Guarded("repository", GetRepository));
        app.MapGet("/dms/r/{repositoryId}/source", Guarded("source", GetSource));
        app.MapPost("/dms/r/{repositoryId}/blob/chunk/", Guarded("chunk", StartUploadAsync));
        app.MapPost("/dms/r/{repositoryId}/blob/chunk/{uploadId}", Guarded("chunk", AppendUploadAsync));
        app.MapPost("/dms/r/{repositoryId}/o2m", Guarded("o2m", CreateObjectAsync));
        app.MapGet("/dms/r/{repositoryId}/o2m/{id}", Guarded("object", GetObject));
        app.MapGet("/dms/r/{repositoryId}/o/{id}/v/current/b/main/c", Guarded("content", GetContent));
        app.MapGet("/dms/r/{repositoryId}/srm", Guarded("search", Search));
        app.MapPost("/dms/xdomea/nachrichten", Guarded("xdomea", ReceiveXdomeaAsync));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A content still open by a reader; the temporary folder is left to the system.
        }
    }

    /// <summary>The same checks for every call: latency, injected faults, bearer key, repository.</summary>
    private RequestDelegate Guarded(string operation, Func<HttpContext, Task<Answer>> handler) => async context =>
    {
        var ct = context.RequestAborted;
        // Run-time faults (error rate, outage, hang, slow bodies; see /_faults/dms) answer before anything else.
        if (await Faults.ApplyAsync(context, "dms").ConfigureAwait(false)) return;
        var latency = Faults.Latency;
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, _time, ct).ConfigureAwait(false);
        }

        Answer answer;
        if (Faults.TryConsumeFailure(out var status))
        {
            answer = Problem(status, "injected-fault", "Injected fault", $"The simulator was told to fail with {status}.");
            if (status is 503 or 429)
            {
                answer = answer with { RetryAfterSeconds = 1 };
            }
        }
        else if (!Authorized(context.Request))
        {
            answer = Problem(401, "unauthorized", "Bearer key missing or wrong") with { Authenticate = true };
        }
        else if (context.Request.RouteValues.TryGetValue("repositoryId", out var repository) && (string?)repository != RepositoryId)
        {
            answer = Problem(404, "repository-not-found", "No such repository");
        }
        else
        {
            try
            {
                answer = await handler(context).ConfigureAwait(false);
            }
            catch (BadHttpRequestException e)
            {
                answer = Problem(e.StatusCode, "bad-request", "Request refused", e.Message);
            }
        }

        Record(operation, context, answer.Status);
        await answer.WriteAsync(context).ConfigureAwait(false);
    };

    private bool Authorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var presented = header["Bearer ".Length..].Trim();
        if (presented.Length == 0)
        {
            return false;
        }

        return ApiKey is null || CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(ApiKey));
    }

    private void Record(string operation, HttpContext context, int status)
    {
        var key = context.Request.Headers["Idempotency-Key"].ToString();
        lock (_gate)
        {
            if (_calls.Count >= MaxRecordedCalls)
            {
                _calls.RemoveAt(0);
            }

            _calls.Add(new DmsCall(_time.GetUtcNow(), operation, context.Request.Method, context.Request.Path + context.Request.QueryString,
                status, key.Length == 0 ? null : key));
        }
    }

    private string NextId(string category)
    {
        var prefix = category switch
        {
            DmsSchema.Akte => "A",
            DmsSchema.Vorgang => "V",
            _ => "D",
        };
        return prefix + Interlocked.Increment(ref _counter).ToString("D9", CultureInfo.InvariantCulture);
    }

    private string ObjectPath(string id) => $"/dms/r/{RepositoryId}/o2m/{Uri.EscapeDataString(id)}";

    private JsonObject ObjectJson(DmsObject o)
    {
        var links = new JsonObject
        {
            ["self"] = Link($"{ObjectPath(o.Id)}?sourceid={Uri.EscapeDataString(SourceId)}"),
            ["children"] = Link($"/dms/r/{RepositoryId}/srm?sourceid={Uri.EscapeDataString(SourceId)}&children_of={Uri.EscapeDataString(o.Id)}"),
        };
        if (o.ParentId is not null)
        {
            links["parent"] = Link($"{ObjectPath(o.ParentId)}?sourceid={Uri.EscapeDataString(SourceId)}");
        }

        if (o.Content is not null)
        {
            links["mainblobcontent"] = Link($"/dms/r/{RepositoryId}/o/{Uri.EscapeDataString(o.Id)}/v/current/b/main/c");
        }

        var json = new JsonObject
        {
            ["_links"] = links,
            ["id"] = o.Id,
            ["sourceCategories"] = new JsonArray(o.Category),
            ["sourceProperties"] = new JsonArray(o.Properties
                .Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value, ["values"] = new JsonArray(p.Value) }).ToArray()),
        };
        if (o.Content is not null)
        {
            json["contentInfo"] = new JsonObject
            {
                ["fileName"] = o.Content.FileName,
                ["size"] = o.Content.SizeBytes,
                ["sha512"] = o.Content.Sha512,
            };
        }

        return json;
    }

    private static JsonObject Link(string href) => new() { ["href"] = href };

    private static void LiftBodyLimit(HttpContext context, long limit)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Still open by a reader: the folder goes on dispose.
        }
    }

    /// <summary>An RFC 7807 problem whose type is urn:integrationhub:simulator:dms:{kind}.</summary>
    private static Answer Problem(int status, string kind, string title, string? detail = null)
    {
        var problem = new JsonObject
        {
            ["type"] = HandoverResponse.ProblemType("dms", kind),
            ["title"] = title,
            ["status"] = status,
        };
        if (detail is not null)
        {
            problem["detail"] = detail;
        }

        return new Answer(status, HandoverResponse.ProblemJson, Encoding.UTF8.GetBytes(problem.ToJsonString()));
    }

    private static Answer Hal(int status, JsonNode body, string? location = null) =>
        new(status, "application/hal+json; charset=utf-8", Encoding.UTF8.GetBytes(body.ToJsonString())) { Location = location };

    /// <summary>What a handler answers; written after the call is recorded.</summary>
    private sealed record Answer(int Status, string ContentType, byte[] Body)
    {
        public string? Location { get; init; }
        public int? RetryAfterSeconds { get; init; }
        public bool Authenticate { get; init; }
        /// <summary>Streams the body instead of <see cref="Body"/> (content downloads).</summary>
        public Func<HttpContext, Task>? Writer { get; init; }

        public async Task WriteAsync(HttpContext context)
        {
            if (context.RequestAborted.IsCancellationRequested)
            {
                return;
            }

            var response = context.Response;
            response.StatusCode = Status;
            response.ContentType = ContentType;
            if (Location is not null)
            {
                response.Headers.Location = Location;
            }

            if (RetryAfterSeconds is { } seconds)
            {
                response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            }

            if (Authenticate)
            {
                response.Headers.WWWAuthenticate = "Bearer";
            }

            if (Writer is not null)
            {
                await Writer(context).ConfigureAwait(false);
                return;
            }

            response.ContentLength = Body.Length;
            await response.Body.WriteAsync(Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Content uploaded to the temporary location, not yet used by an object.</summary>
    private sealed class TemporaryUpload(string id, string path) : IDisposable
    {
        public string Id { get; } = id;
        public string Path { get; } = path;
        public SemaphoreSlim Gate { get; } = new(1, 1);
        public IncrementalHash Hash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        public long Size { get; set; }
        public int Chunks { get; set; }
        public bool Used { get; set; }

        public void Dispose()
        {
            Gate.Dispose();
            Hash.Dispose();
        }
    }
}
