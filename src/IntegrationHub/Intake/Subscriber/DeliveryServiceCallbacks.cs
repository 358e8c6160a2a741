using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Hosting;
using IntegrationHub.Intake.Callbacks;
using IntegrationHub.Jose;
using IntegrationHub.Problems;
using IntegrationHub.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Intake.Subscriber;

/// <summary>
/// What the delivery services call: <c>POST /api/v1/delivery-services/{name}/callbacks</c> with the new-submissions
/// callback, authenticated by FIT-Connect's HMAC (<see cref="CallbackAuthentication"/>: constant-time comparison, at most
/// 5 minutes old, never twice). An authentic callback starts a pickup and is answered 202 at once; the pickup lists
/// the destinations itself, so the callback's content is only a wake-up call. And the public signing key of a
/// subscribed destination, for registering it at the delivery service.
/// </summary>
public static class DeliveryServiceCallbacks
{
    public const string NewSubmissionsType = "https://schema.fitko.de/fit-connect/submission-api/callbacks/new-submissions";
    private const int MaxBodyBytes = 256 * 1024;

    public static string CallbackPath(string service) => $"/api/v1/delivery-services/{service}/callbacks";

    public static void MapDeliveryServiceCallbacks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/delivery-services/{service}").WithTags("Delivery services");
        group.MapPost("/callbacks", ReceiveAsync).DisableAntiforgery();
        group.MapGet("/destinations/{destinationId:guid}/signing-key", SigningKey);
    }

    private static async Task<IResult> ReceiveAsync(string service, HttpContext http, DeliveryServices services, CallbackGuards guards,
        IPickupTrigger pickup, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("IntegrationHub.Intake.Subscriber");
        if (services.Find(service) is not { } options)
            return ProblemResults.Problem(ProblemTypes.UnknownTarget, $"No delivery service '{service}' is configured.");
        // Headers first: a caller without them makes the hub read nothing.
        var timestamp = http.Request.Headers[CallbackAuthentication.TimestampHeader];
        var signature = http.Request.Headers[CallbackAuthentication.SignatureHeader];
        var guard = guards.For(service);
        if (guard.CheckHeaders(timestamp, signature) is not CallbackVerdict.Valid and var refused)
        {
            logger.LogWarning("Callback from delivery service {DeliveryService} refused: {Verdict}", service, refused);
            return ProblemResults.Problem(ProblemTypes.CallbackUnauthenticated, CallbackAuthentication.Describe(refused));
        }
        if (http.Request.ContentLength > MaxBodyBytes)
            return ProblemResults.Problem(ProblemTypes.PayloadTooLarge, $"A callback may have at most {MaxBodyBytes} bytes.");
        var body = await BoundedBody.ReadAsync(http.Request.Body, MaxBodyBytes, http.RequestAborted);
        if (body is null)
            return ProblemResults.Problem(ProblemTypes.PayloadTooLarge, $"A callback may have at most {MaxBodyBytes} bytes.");

        // Authenticity first: nothing of an unauthenticated body is read.
        var verdict = guard.Verify(options.CallbackSecret, timestamp, signature, body);
        if (verdict != CallbackVerdict.Valid)
        {
            logger.LogWarning("Callback from delivery service {DeliveryService} refused: {Verdict}", service, verdict);
            return ProblemResults.Problem(ProblemTypes.CallbackUnauthenticated, CallbackAuthentication.Describe(verdict));
        }

        JsonObject? callback;
        try { callback = JsonNode.Parse(body) as JsonObject; }
        catch (JsonException) { callback = null; }
        if (callback is null || !(callback["type"] is JsonValue type && type.TryGetValue<string>(out var t) && t == NewSubmissionsType))
            return ProblemResults.Problem(ProblemTypes.InvalidRequest, $"Expected a callback of type {NewSubmissionsType}.");
        var announced = (callback["submissions"] as JsonArray)?.Count ?? 0;

        await pickup.TriggerAsync(service, http.RequestAborted);
        logger.LogInformation("Callback from delivery service {DeliveryService} announced {Count} submission(s); pickup started", service, announced);
        return Results.Accepted();
    }

    private static IResult SigningKey(string service, Guid destinationId, DeliveryServices services, KeyStore keys)
    {
        if (services.Find(service) is not { } options)
            return ProblemResults.Problem(ProblemTypes.UnknownTarget, $"No delivery service '{service}' is configured.");
        if (!options.Destinations.Contains(destinationId))
            return ProblemResults.Problem(ProblemTypes.DestinationNotFound, $"Destination {destinationId} is not subscribed at '{service}'.");
        var key = keys.DestinationSigningKey(destinationId);
        return Results.Json(JsonWebKeys.ToPublicSigningJwk(key.Rsa, key.Kid));
    }
}

/// <summary>One replay memory per delivery service of this hub (each service has its own secret).</summary>
public sealed class CallbackGuards(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, CallbackAuthentication> _guards = new(StringComparer.OrdinalIgnoreCase);

    public CallbackAuthentication For(string service) => _guards.GetOrAdd(service, _ => new CallbackAuthentication(time));
}
