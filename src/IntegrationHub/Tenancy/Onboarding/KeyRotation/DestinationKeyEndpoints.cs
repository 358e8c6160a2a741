using System.Globalization;
using System.Text.RegularExpressions;
using IntegrationHub.Operations;
using IntegrationHub.Operations.Api;
using IntegrationHub.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using static IntegrationHub.Operations.Api.OperationsRequests;

namespace IntegrationHub.Tenancy.Onboarding.KeyRotation;

/// <summary>One key version of a destination as the operations API shows it. <see cref="RetiresAt"/>: end of the overlap, or when it retired.</summary>
public sealed record DestinationKeyView(int Version, string Kid, DestinationKeyState State, DateTimeOffset? CreatedAt, string? CreatedBy, DateTimeOffset? RetiresAt);

public sealed record DestinationKeysView(string Ars, Guid DestinationId, string CurrentKid, IReadOnlyList<DestinationKeyView> Keys);

public sealed record DestinationKeyRotationView(string Ars, Guid DestinationId, string Kid, int Version, string PreviousKid, DateTimeOffset PreviousRetiresAt);

public sealed record DestinationKeyRetirementView(string Ars, Guid DestinationId, string Kid, DateTimeOffset RetiredAt, bool AlreadyRetired);

/// <summary>
/// Onboarding: destination key rotation. Readers list a destination's key versions; admins rotate (a new key is
/// published, the previous one stays accepted for the overlap) and retire a previous key before its overlap ends.
/// Operators limited to municipalities act on those only; every rotation and retirement is in the operator audit.
/// </summary>
public static class DestinationKeyEndpoints
{
    private const string Path = "/{ars}/destinations/{destinationId}/keys";

    public static void Map(RouteGroupBuilder read, RouteGroupBuilder act, RouteGroupBuilder admin)
    {
        read.MapGet(Path, ListAsync).WithSummary("A destination's encryption key versions: current, accepted until the end of their overlap, retired");
        admin.MapPost(Path, RotateAsync).WithSummary("Rotates the destination's encryption key (body optional: {overlap: \"14d\"}); the previous key stays accepted for the overlap");
        admin.MapPost(Path + "/{kid}/retire", RetireAsync).WithSummary("Retires a previous key now (ends its overlap); the current key cannot be retired");
    }

    private static async Task<IResult> ListAsync(string ars, string destinationId, HttpContext http, DestinationKeyRing ring, CancellationToken ct)
    {
        var (id, problem) = Destination(http, ars, destinationId);
        if (problem is not null) return problem;
        return Ok(await ViewAsync(ars, id, ring, ct));
    }

    private static async Task<IResult> RotateAsync(string ars, string destinationId, HttpContext http, DestinationKeyRing ring,
        IOptions<HubOptions> options, IOperatorAudit audit, CancellationToken ct)
    {
        var (id, problem) = Destination(http, ars, destinationId);
        if (problem is not null) return problem;
        var overlap = options.Value.Keys.RotationOverlap;
        if (http.Request.ContentLength is > 0 || http.Request.ContentType is not null)
        {
            var (body, invalid) = await BodyAsync<RotateBody>(http.Request, ct);
            if (invalid is not null) return invalid;
            if (body!.Overlap is { } text)
            {
                if (ParseOverlap(text) is not { } parsed)
                    return Invalid($"overlap must be a duration from 0 to {MaxOverlapDays} days, e.g. \"14d\", \"36h\" or \"14.00:00:00\".");
                overlap = parsed;
            }
        }
        var who = OperationsApi.Who(http);
        var rotation = await ring.RotateAsync(id, overlap, who.Name, ct);
        await audit.WriteAsync(who, "destination-key-rotated", $"destination {id} ({ars})", 1,
            $"new key {rotation.Current.Kid}; {rotation.Previous.Kid} accepted until {rotation.PreviousRetiresAt:O}", ct);
        return Ok(new DestinationKeyRotationView(ars, id, rotation.Current.Kid, rotation.Current.Version, rotation.Previous.Kid, rotation.PreviousRetiresAt),
            StatusCodes.Status201Created);
    }

    private static async Task<IResult> RetireAsync(string ars, string destinationId, string kid, HttpContext http, DestinationKeyRing ring,
        IOperatorAudit audit, CancellationToken ct)
    {
        var (id, problem) = Destination(http, ars, destinationId);
        if (problem is not null) return problem;
        var who = OperationsApi.Who(http);
        var (entry, retired) = await ring.RetireAsync(id, kid, ct);
        if (retired) await audit.WriteAsync(who, "destination-key-retired", $"destination {id} ({ars})", 1, $"key {entry.Kid}", ct);
        return Ok(new DestinationKeyRetirementView(ars, id, entry.Kid, entry.RetiresAt!.Value, AlreadyRetired: !retired));
    }

    private const int MaxOverlapDays = 365;

    /// <summary>"14d", "36h", "90m" or a TimeSpan ("14.00:00:00"), from zero (retire at once) to a year.</summary>
    public static TimeSpan? ParseOverlap(string text)
    {
        text = text.Trim();
        TimeSpan value;
        var unit = Regex.Match(text, "^([0-9]{1,6})([dhm])$", RegexOptions.None, TimeSpan.FromSeconds(1));
        if (unit.Success)
        {
            var n = int.Parse(unit.Groups[1].Value, CultureInfo.InvariantCulture);
            value = unit.Groups[2].Value switch { "d" => TimeSpan.FromDays(n), "h" => TimeSpan.FromHours(n), _ => TimeSpan.FromMinutes(n) };
        }
        else if (!TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out value)) return null;
        return value < TimeSpan.Zero || value > TimeSpan.FromDays(MaxOverlapDays) ? null : value;
    }

    private sealed record RotateBody(string? Overlap = null);

    /// <summary>The destination, when it belongs to the municipality and the operator covers that municipality.</summary>
    private static (Guid Id, IResult? Problem) Destination(HttpContext http, string ars, string destinationId)
    {
        var who = OperationsApi.Who(http);
        if (!who.Covers(ars))
            return (default, ProblemResults.Problem(ProblemTypes.OperatorForbidden, $"Operator {who.Name} does not look after municipality {ars}."));
        if (!TryId(destinationId, out var id))
            return (default, InvalidQuery("The destination's id must be a GUID."));
        var tenants = http.RequestServices.GetRequiredService<TenantDirectory>();
        if (tenants.FindDestination(id) is not { } entry || entry.Tenant.Ars != ars)
            return (default, ProblemResults.Problem(ProblemTypes.DestinationNotFound, $"Municipality {ars} has no destination {id}."));
        return (id, null);
    }

    private static async Task<DestinationKeysView> ViewAsync(string ars, Guid id, DestinationKeyRing ring, CancellationToken ct)
    {
        var versions = await ring.VersionsAsync(id, ct);
        var now = ring.Now;
        return new DestinationKeysView(ars, id, versions.Current(now).Kid,
            [.. versions.Entries.Select(e => new DestinationKeyView(e.Version, e.Kid, versions.State(e, now), e.CreatedAt, e.CreatedBy, e.RetiresAt))]);
    }

    private static IResult Ok<T>(T value, int status = StatusCodes.Status200OK) => Results.Json(value, Json, statusCode: status);
}

public static class DestinationKeyRotationRegistration
{
    public static IServiceCollection AddDestinationKeyRotation(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<DestinationKeyRing>();
        return services;
    }
}
