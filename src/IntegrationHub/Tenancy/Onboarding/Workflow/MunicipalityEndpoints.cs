using System.Text.Json;
using IntegrationHub.Hosting;
using IntegrationHub.Operations.Api;
using IntegrationHub.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Operations.Api.OperationsRequests;

namespace IntegrationHub.Tenancy.Onboarding.Workflow;

/// <summary>
/// Onboarding: list and show (reader), validate and plan (reader: they change nothing, so a provider's CI can plan with a
/// reader key), apply, rollback, disable and enable (admin). Under /api/v1/operations/municipalities.
/// </summary>
public static class MunicipalityEndpoints
{
    /// <summary>A batch (a folder of files) may be larger than the operations API's usual 1 MB.</summary>
    public const long MaxBatchBytes = 32 * 1024 * 1024;

    public static void Map(RouteGroupBuilder read, RouteGroupBuilder act, RouteGroupBuilder admin)
    {
        read.MapGet("", async (HttpContext h, MunicipalityRegistry r, CancellationToken ct) => Ok(await r.ListAsync(OperationsApi.Who(h), ct)))
            .WithSummary("Every municipality (settings and files): source, state, version, applied by/at, services, last smoke test");
        read.MapGet("/{ars}", async (string ars, HttpContext h, MunicipalityRegistry r, CancellationToken ct) => Ok(await r.ShowAsync(OperationsApi.Who(h), ars, ct)))
            .WithSummary("One municipality: destinations with their published keys, targets, versions, the active file");
        read.MapGet("/{ars}/versions/{version:int}", VersionAsync)
            .WithSummary("One applied version: JSON with its content, or the file itself with Accept: text/yaml");
        Guarded(read.MapPost("/validate", async (HttpContext h, MunicipalityRegistry r, CancellationToken ct) =>
                await WithFileAsync(h, async file => Ok(new { findings = await r.ValidateAsync(OperationsApi.Who(h), file, ct) }), ct)))
            .WithSummary("Validates a file ({name, content}) against the running hub (destinations of other municipalities, shared targets)");
        Guarded(read.MapPost("/plan", async (HttpContext h, MunicipalityRegistry r, CancellationToken ct) =>
                await WithFileAsync(h, async file => Ok(await r.PlanAsync(OperationsApi.Who(h), file, ct)), ct)))
            .WithSummary("What applying the file would change (added, changed, removed) and the keys it would generate");
        Guarded(read.MapPost("/plan-batch", async (HttpContext h, MunicipalityRegistry r, CancellationToken ct) =>
                await WithBatchAsync(h, async files => Ok(await r.PlanAsync(OperationsApi.Who(h), files, ct)), ct)))
            .WithSummary("Plans several files ({files: [{name, content}]}) together");
        Guarded(admin.MapPost("/apply", async (HttpContext h, MunicipalityRegistry r, CancellationToken ct) =>
                await WithFileAsync(h, async file => Ok(await r.ApplyAsync(OperationsApi.Who(h), file, DryRun(h), ct)), ct)))
            .WithSummary("Applies a file: generates keys, stores a new version, activates it without restart (dryRun=true: all but storing and activating)");
        Guarded(admin.MapPost("/apply-batch", async (HttpContext h, MunicipalityRegistry r, CancellationToken ct) =>
                await WithBatchAsync(h, async files => Ok(await r.ApplyAsync(OperationsApi.Who(h), files, DryRun(h), ct)), ct)))
            .WithSummary("Applies several files together: all validated first, keys generated in parallel, one activation");
        Guarded(admin.MapPost("/{ars}/rollback", async (string ars, HttpContext h, MunicipalityRegistry r, CancellationToken ct) =>
            {
                var (body, problem) = await OptionalBodyAsync<RollbackInput>(h, ct);
                return problem ?? Ok(await r.RollbackAsync(OperationsApi.Who(h), ars, body?.ToVersion, ct));
            }))
            .WithSummary("Applies the previous version (or toVersion) again as a new version");
        Guarded(admin.MapPost("/{ars}/disable", async (string ars, HttpContext h, MunicipalityRegistry r, CancellationToken ct) =>
            {
                var (body, problem) = await BodyAsync<DisableInput>(h.Request, ct);
                if (problem is not null) return problem;
                var reason = body!.Reason?.Trim();
                if (string.IsNullOrEmpty(reason) || reason.Length > 500) return Invalid("reason is required (at most 500 characters): say why intake stops.");
                return Ok(await r.DisableAsync(OperationsApi.Who(h), ars, reason, ct));
            }))
            .WithSummary("Stops intake (new submissions get municipality-disabled); work in flight completes");
        Guarded(admin.MapPost("/{ars}/enable", async (string ars, HttpContext h, MunicipalityRegistry r, CancellationToken ct) =>
                Ok(await r.EnableAsync(OperationsApi.Who(h), ars, ct))))
            .WithSummary("Takes intake again");
    }

    private static RouteHandlerBuilder Guarded(RouteHandlerBuilder endpoint) => endpoint.AddEndpointFilter(async (context, next) =>
    {
        try { return await next(context); }
        catch (MunicipalityRefusedException refused)
        {
            return ProblemResults.Problem(refused.Type, refused.Message, refused.Extensions);
        }
    });

    private static async Task<IResult> VersionAsync(string ars, int version, HttpContext h, MunicipalityRegistry r, CancellationToken ct)
    {
        var view = await r.VersionAsync(OperationsApi.Who(h), ars, version, ct);
        var accept = h.Request.Headers.Accept.ToString();
        return accept.Contains("yaml", StringComparison.OrdinalIgnoreCase)
            ? Results.Text(view.Content, "text/yaml; charset=utf-8")
            : Ok(view);
    }

    private static bool DryRun(HttpContext h) =>
        h.Request.Query["dryRun"].ToString() is { Length: > 0 } value && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    private static async Task<IResult> WithFileAsync(HttpContext h, Func<MunicipalityFileInput, Task<IResult>> then, CancellationToken ct)
    {
        var (body, problem) = await BodyAsync<MunicipalityFileInput>(h.Request, ct);
        if (problem is not null) return problem;
        if (string.IsNullOrWhiteSpace(body!.Content)) return Invalid("content is required: the municipality file's YAML.");
        return await then(body);
    }

    private static async Task<IResult> WithBatchAsync(HttpContext h, Func<IReadOnlyList<MunicipalityFileInput>, Task<IResult>> then, CancellationToken ct)
    {
        if (h.Request.ContentType is null || !h.Request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return ProblemResults.Problem(ProblemTypes.UnsupportedMediaType, "Send application/json.");
        var bytes = await BoundedBody.ReadAsync(h.Request.Body, MaxBatchBytes, ct);
        if (bytes is null) return ProblemResults.Problem(ProblemTypes.PayloadTooLarge, $"A batch may have at most {MaxBatchBytes} bytes.");
        MunicipalityBatchInput? body;
        try { body = JsonSerializer.Deserialize<MunicipalityBatchInput>(bytes, Json); }
        catch (JsonException) { return Invalid("The body must be {\"files\": [{\"name\": …, \"content\": …}]}."); }
        if (body?.Files is not { Count: > 0 } files) return Invalid("files is required: at least one {name, content}.");
        if (files.Any(f => string.IsNullOrWhiteSpace(f.Content))) return Invalid("Every file needs its content (the YAML).");
        return await then(files);
    }

    private static async Task<(T? Body, IResult? Problem)> OptionalBodyAsync<T>(HttpContext h, CancellationToken ct) where T : class =>
        h.Request.ContentLength is 0 || h.Request.ContentType is null && h.Request.ContentLength is null
            ? (null, null)
            : await BodyAsync<T>(h.Request, ct);

    private static IResult Ok<T>(T value) => Results.Json(value, Json);
}

public static class MunicipalityWorkflowRegistration
{
    public static IServiceCollection AddMunicipalityWorkflow(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<MunicipalityActivation>();
        services.AddHostedService(sp => sp.GetRequiredService<MunicipalityActivation>());
        services.AddScoped<MunicipalityRegistry>();
        return services;
    }
}
