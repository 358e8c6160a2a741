using System.Text.Json.Nodes;
using IntegrationHub.Jose;
using IntegrationHub.Problems;
using IntegrationHub.Tenancy;
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

    private static IResult GetDestination(Guid destinationId, TenantDirectory tenants, KeyStore keys)
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
            ["encryptionKid"] = keys.DestinationKey(destinationId).Kid,
            ["metadataVersions"] = new JsonArray(MetadataVersion),
            ["replyChannels"] = new JsonObject(),
        });
    }

    private static IResult GetKey(Guid destinationId, string keyId, TenantDirectory tenants, KeyStore keys)
    {
        if (tenants.FindDestination(destinationId) is null)
            return ProblemResults.Problem(ProblemTypes.DestinationNotFound, $"Destination {destinationId} is not hosted here.");
        var key = keys.DestinationKey(destinationId);
        if (keyId != key.Kid && keyId != key.Thumbprint)
            return ProblemResults.Problem(ProblemTypes.KeyNotFound, $"Destination {destinationId} has no key '{keyId}'.");
        return Results.Json(JsonWebKeys.ToPublicEncryptionJwk(key.Rsa, key.Kid));
    }
}
