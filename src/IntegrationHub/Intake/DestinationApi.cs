using System.Text.Json.Nodes;
using IntegrationHub.Jose;
using IntegrationHub.Problems;
using IntegrationHub.Tenancy;
using IntegrationHub.Tenancy.Onboarding.KeyRotation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IntegrationHub.Intake;

/// <summary>Public destination information and keys, as a FIT-Connect sender reads them before encrypting.</summary>
public static class DestinationApi
{
    public const string MetadataVersion = "1.2.0";

    public static void MapDestinationApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/destinations").WithTags("Destinations");
        group.MapGet("/{destinationId:guid}", GetDestination);
        group.MapGet("/{destinationId:guid}/keys/{keyId}", GetKey);
        app.MapGet("/.well-known/jwks.json", (KeyStore keys) =>
        {
            var hub = keys.HubSigningKey;
            return Results.Json(new JsonObject { ["keys"] = new JsonArray(JsonWebKeys.ToPublicSigningJwk(hub.Rsa, hub.Kid)) });
        }).WithTags("Events");
    }

    private static async Task<IResult> GetDestination(Guid destinationId, TenantDirectory tenants, DestinationKeyRing keys, CancellationToken ct)
    {
        if (tenants.FindDestination(destinationId) is not { } entry)
            return ProblemResults.Problem(ProblemTypes.DestinationNotFound, $"Destination {destinationId} is not hosted here.");
        var services = new JsonArray();
        foreach (var s in entry.Destination.Services)
            services.Add(new JsonObject
            {
                ["identifier"] = s.Identifier,
                ["name"] = s.Name,
                ["submissionSchemas"] = new JsonArray(new JsonObject { ["schemaUri"] = s.SchemaUri, ["mimeType"] = "application/xml" }),
                ["regions"] = new JsonArray($"DE{entry.Tenant.Ars}"),
            });
        return Results.Json(new JsonObject
        {
            ["destinationId"] = destinationId,
            // FIT-Connect's "inactive": the destination exists but takes no submissions (its municipality is disabled).
            ["status"] = tenants.IsDisabled(entry.Tenant.Ars) ? "inactive" : "active",
            ["services"] = services,
            ["encryptionKid"] = (await keys.CurrentAsync(destinationId, ct)).Entry.Kid,
            ["metadataVersions"] = new JsonArray(MetadataVersion),
            ["replyChannels"] = new JsonObject(),
        });
    }

    private static async Task<IResult> GetKey(Guid destinationId, string keyId, TenantDirectory tenants, DestinationKeyRing keys, CancellationToken ct)
    {
        if (tenants.FindDestination(destinationId) is null)
            return ProblemResults.Problem(ProblemTypes.DestinationNotFound, $"Destination {destinationId} is not hosted here.");
        // Every key still accepted is served: a sender that fetched the previous kid during the overlap still gets it.
        var key = (await keys.AcceptedAsync(destinationId, ct)).Select(k => k.Key).FirstOrDefault(k => keyId == k.Kid || keyId == k.Thumbprint);
        if (key is null)
            return ProblemResults.Problem(ProblemTypes.KeyNotFound, $"Destination {destinationId} has no key '{keyId}'.");
        return Results.Json(JsonWebKeys.ToPublicEncryptionJwk(key.Rsa, key.Kid));
    }
}
