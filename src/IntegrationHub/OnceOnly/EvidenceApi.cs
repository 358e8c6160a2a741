using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using IntegrationHub.Hosting;
using IntegrationHub.Ledger;
using IntegrationHub.Problems;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.OnceOnly;

/// <summary>
/// The requester API: specialist procedures ask for evidence about a person of their municipality. Synchronous: the
/// answer waits up to Hub:OnceOnly:SyncTimeout for the provider. With a callbackUrl: 202, the request is kept in the
/// ledger and worked (with retries while the provider is out) until the result is posted to the callback.
/// </summary>
public static class EvidenceApi
{
    private const long MaxBodyBytes = 32 * 1024;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    internal static async Task<IResult> RequestAsync(HttpContext http, EvidenceService service, EvidenceRules rules, IOptions<OnceOnlyOptions> options,
        TimeProvider time, HubDbContext db, EvidenceProtection protection, EvidenceRequestWorker worker, EvidenceRequesters requesters,
        SubmissionConsents consents)
    {
        var requester = RequireRequesterToken.RequesterOf(http);
        var (request, callbackUrl, problem) = await ReadRequestAsync(http, requester, time);
        if (problem is not null) return problem;
        if (callbackUrl is not null && requesters.CallbackProblem(requester.ClientId, new Uri(callbackUrl)) is { } callbackProblem)
            return ProblemResults.Problem(ProblemTypes.EvidenceCallbackNotAllowed, callbackProblem);

        // A consent counts only as the citizen gave it: its scope is the application's, never the requester's claim.
        if (request!.ConsentReference is not null && rules.Eligibility(request, requester).Allowed)
        {
            if (await consents.ScopeAsync(request, http.RequestAborted) is not { } scope)
            {
                var refused = await service.RefuseAsync(request, requester, EvidenceRefusalReasons.EinwilligungNichtBelegt,
                    $"consent.reference must name a consent the person gave: {SubmissionConsents.Prefix}<submissionId> of an accepted application of this municipality whose applicant is this person.");
                return ProblemResults.Problem(ProblemTypes.EvidenceConsentUnverified, refused.Detail, new Dictionary<string, object?>
                {
                    ["reason"] = refused.ReasonCode,
                    ["requestId"] = refused.RequestId,
                });
            }
            request = request with { ConsentScope = scope };
        }

        // A refusal by the rules is answered at once, asynchronous or not: there is nothing to wait for.
        if (callbackUrl is null || !rules.Check(request, requester).Allowed)
            return Answer(request, await service.LookupAsync(request, requester, http.RequestAborted, options.Value.SyncTimeout));

        var now = time.GetUtcNow();
        db.EvidenceRequests.Add(new EvidenceRequestRecord
        {
            Id = request.RequestId,
            ClientId = requester.ClientId,
            Ars = request.RequesterArs,
            EvidenceType = request.EvidenceType,
            CallbackUrl = callbackUrl,
            Status = EvidenceRequestStatus.Pending,
            ProtectedRequest = await protection.ProtectAsync(request.RequestId, request.RequesterArs, JsonSerializer.Serialize(request, Json), http.RequestAborted),
            CreatedAt = now,
            UpdatedAt = now,
            NextAttemptAt = now,
        });
        await db.SaveChangesAsync(http.RequestAborted);
        worker.Nudge();
        var status = $"/api/v1/evidence/requests/{request.RequestId}";
        return Results.Json(new { requestId = request.RequestId, status = nameof(EvidenceRequestStatus.Pending), statusUrl = status },
            statusCode: StatusCodes.Status202Accepted);
    }

    internal static async Task<IResult> StatusAsync(Guid requestId, HttpContext http, HubDbContext db)
    {
        var requester = RequireRequesterToken.RequesterOf(http);
        var record = await db.EvidenceRequests.AsNoTracking().SingleOrDefaultAsync(r => r.Id == requestId, http.RequestAborted);
        // Another requester's request does not exist for this one.
        if (record is null || record.ClientId != requester.ClientId)
            return ProblemResults.Problem(ProblemTypes.EvidenceRequestNotFound, $"No evidence request {requestId} of this requester.");
        return Results.Json(new
        {
            requestId = record.Id,
            status = record.Status.ToString(),
            evidenceType = record.EvidenceType,
            outcome = record.Outcome,
            reason = record.ReasonCode,
            attempts = record.Attempts,
            callbackAttempts = record.CallbackAttempts,
            nextAttemptAt = record.NextAttemptAt,
            createdAt = record.CreatedAt,
            deliveredAt = record.DeliveredAt,
        });
    }

    internal static IResult Answer(EvidenceRequest request, EvidenceResult result) => result.Outcome switch
    {
        EvidenceOutcomes.Provided => Results.Json(ResultBody(request, result)),
        EvidenceOutcomes.Refused => ProblemResults.Problem(ProblemTypes.EvidenceRefused, result.Detail, new Dictionary<string, object?>
        {
            ["reason"] = result.ReasonCode,
            ["refusedBy"] = result.RefusedByProvider ? "provider" : "hub",
            ["requestId"] = result.RequestId,
        }),
        EvidenceOutcomes.TimedOut => ProblemResults.Problem(ProblemTypes.EvidenceTimeout, result.Detail,
            new Dictionary<string, object?> { ["requestId"] = result.RequestId }),
        _ => ProblemResults.Problem(ProblemTypes.EvidenceProviderUnavailable, result.Detail,
            new Dictionary<string, object?> { ["requestId"] = result.RequestId }),
    };

    /// <summary>The result as the requester reads it: the 200 body of a synchronous request, the body of a callback.</summary>
    public static JsonObject ResultBody(EvidenceRequest request, EvidenceResult result)
    {
        var body = new JsonObject
        {
            ["requestId"] = result.RequestId,
            ["outcome"] = result.Outcome,
            ["evidenceType"] = request.EvidenceType,
            ["provider"] = result.Provider,
        };
        if (result.Evidence is { } evidence)
        {
            body["issuedAt"] = evidence.IssuedAt;
            body["validUntil"] = evidence.ValidUntil;
            body["evidence"] = evidence.Data.DeepClone();
            if (evidence.Document is { } d)
                body["document"] = new JsonObject { ["mediaType"] = d.MediaType, ["fileName"] = d.FileName, ["content"] = Convert.ToBase64String(d.Content) };
        }
        else
        {
            body["reason"] = result.ReasonCode;
            body["refusedBy"] = result.Outcome == EvidenceOutcomes.Refused ? result.RefusedByProvider ? "provider" : "hub" : null;
            body["detail"] = result.Detail;
        }
        return body;
    }

    /// <summary>Reads and checks the body; problems name the field, never its value (it may be personal data).</summary>
    internal static async Task<(EvidenceRequest? Request, string? CallbackUrl, IResult? Problem)> ReadRequestAsync(HttpContext http, EvidenceRequester requester, TimeProvider time)
    {
        if (http.Request.ContentType is null || !http.Request.ContentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, null, ProblemResults.Problem(ProblemTypes.UnsupportedMediaType, "Send application/json."));
        var bytes = await BoundedBody.ReadAsync(http.Request.Body, MaxBodyBytes, http.RequestAborted);
        if (bytes is null)
            return (null, null, ProblemResults.Problem(ProblemTypes.PayloadTooLarge, $"The body may have at most {MaxBodyBytes} bytes."));
        JsonObject? body;
        try { body = JsonNode.Parse(bytes) as JsonObject; }
        catch (JsonException) { body = null; }
        if (body is null) return Invalid("The body must be a JSON object.");

        var evidenceType = Str(body["evidenceType"]);
        if (evidenceType is null || !EvidenceTypes.All.Contains(evidenceType))
            return Invalid($"evidenceType must be one of {string.Join(", ", EvidenceTypes.All)}.");
        var municipality = Str(body["municipality"]);
        if (municipality is null || municipality.Length != 12 || !municipality.All(char.IsAsciiDigit))
            return Invalid("municipality must be the 12-digit ARS of the case's municipality.");
        var callbackUrl = body["callbackUrl"];
        if (callbackUrl is not null && (Str(callbackUrl) is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var callback)
            || callback.Scheme is not ("https" or "http")))
            return Invalid("callbackUrl must be an absolute http(s) URL.");
        if (body["purpose"] is not (null or JsonValue) || body["legalBasis"] is not (null or JsonValue))
            return Invalid("purpose and legalBasis must be strings.");

        string? consentReference = null;
        var scope = new List<string>();
        if (body["consent"] is JsonObject consent)
        {
            consentReference = Str(consent["reference"]);
            if (string.IsNullOrWhiteSpace(consentReference))
                return Invalid("consent.reference is required when consent is given.");
            if (consent["scope"] is not JsonArray array || array.Any(n => Str(n) is null))
                return Invalid("consent.scope must be an array of evidence types.");
            scope.AddRange(array.Select(n => Str(n)!));
        }
        else if (body["consent"] is not null)
            return Invalid("consent must be an object { reference, scope }.");

        if (body["person"] is not JsonObject person) return Invalid("person is required.");
        var idNr = Str(person["idNr"]);
        PersonReference reference;
        if (idNr is not null)
        {
            if (idNr.Length != 11 || !idNr.All(char.IsAsciiDigit)) return Invalid("person.idNr must have 11 digits.");
            reference = new PersonReference(idNr);
        }
        else
        {
            var familienname = Str(person["familienname"]);
            var vorname = Str(person["vorname"]);
            if (string.IsNullOrWhiteSpace(familienname) || string.IsNullOrWhiteSpace(vorname)
                || !DateOnly.TryParseExact(Str(person["geburtsdatum"]), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var geburtsdatum))
                return Invalid("person needs idNr, or familienname, vorname and geburtsdatum (yyyy-MM-dd).");
            var anschrift = person["anschrift"] as JsonObject;
            reference = new PersonReference(null, familienname.Trim(), vorname.Trim(), geburtsdatum,
                Str(anschrift?["strasse"]), Str(anschrift?["hausnummer"]), Str(anschrift?["postleitzahl"]), Str(anschrift?["ort"]));
        }

        return (new EvidenceRequest(Guid.NewGuid(), municipality, requester.Authority, requester.Procedure, evidenceType,
            Str(body["purpose"])?.Trim() ?? string.Empty, Str(body["legalBasis"])?.Trim(), consentReference?.Trim(), scope,
            reference, time.GetUtcNow()), Str(callbackUrl), null);

        static (EvidenceRequest?, string?, IResult?) Invalid(string detail) => (null, null, ProblemResults.Problem(ProblemTypes.InvalidRequest, detail));
    }

    internal static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
