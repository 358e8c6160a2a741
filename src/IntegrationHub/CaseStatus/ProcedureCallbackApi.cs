using System.Globalization;
using System.Security.Cryptography;
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
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.CaseStatus;

/// <summary>
/// Where push-style procedures (Prosoz-like) report status changes and send their Bescheid:
/// <c>POST /api/v1/procedures/{target}/reports</c>, authenticated like FIT-Connect callbacks with the target's
/// CallbackSecret. Body: <c>{ submissionId, aktenzeichen, sequence, status, occurredAt, deadline?, document?: { fileName,
/// mimeType, content (base64), sha512 } }</c>. Answers 200 with the outcome (applied, outdated, duplicate), so a
/// procedure retrying a report it is unsure about is harmless.
/// </summary>
public static class ProcedureCallbackApi
{
    public static WebApplication MapProcedureCallbacks(this WebApplication app)
    {
        app.MapPost("/api/v1/procedures/{target}/reports", ReceiveAsync).WithTags("Procedures").DisableAntiforgery()
            .RequireRateLimiting(Intake.RateLimits.CallbackPolicy);
        return app;
    }

    /// <summary>
    /// Unauthenticated callers reach this endpoint, so it reads as little as it can before it knows the sender: the
    /// target, the headers (signature format, timestamp window), media type and announced length come first, and only
    /// then the body, at most Hub:Limits:MaxReportBytes; the limiter per target bounds how often that happens.
    /// </summary>
    private static async Task<IResult> ReceiveAsync(string target, HttpContext http, TenantDirectory tenants, CallbackAuthentication authentication,
        ProcedureReports reports, IOptions<HubOptions> options)
    {
        if (tenants.FindTarget(target)?.Options is not { } targetOptions || string.IsNullOrEmpty(targetOptions.CallbackSecret))
            return ProblemResults.Problem(ProblemTypes.UnknownTarget, $"No target '{target}' takes callbacks here.");
        var timestamp = http.Request.Headers[CallbackAuthentication.TimestampHeader];
        var signature = http.Request.Headers[CallbackAuthentication.SignatureHeader];
        if (authentication.CheckHeaders(timestamp, signature) is not CallbackVerdict.Valid and var refused)
            return ProblemResults.Problem(ProblemTypes.CallbackUnauthenticated, CallbackAuthentication.Describe(refused));
        if (http.Request.ContentType is not { } contentType || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            return ProblemResults.Problem(ProblemTypes.UnsupportedMediaType, "Send the report as application/json.");

        var maxBytes = options.Value.Limits.MaxReportBytes;
        var body = http.Request.ContentLength > maxBytes ? null : await BoundedBody.ReadAsync(http.Request.Body, maxBytes, http.RequestAborted);
        if (body is null) return ProblemResults.Problem(ProblemTypes.PayloadTooLarge, $"A report may have at most {maxBytes} bytes (Hub:Limits:MaxReportBytes).");
        var verdict = authentication.Verify(targetOptions.CallbackSecret, timestamp, signature, body);
        if (verdict != CallbackVerdict.Valid)
            return ProblemResults.Problem(ProblemTypes.CallbackUnauthenticated, CallbackAuthentication.Describe(verdict));

        if (!TryParse(body, out var report, out var error)) return ProblemResults.Problem(ProblemTypes.ReportInvalid, error);
        var outcome = await reports.ReportAsync(target, report, http.RequestAborted);
        return outcome == ReportOutcome.UnknownCase
            ? ProblemResults.Problem(ProblemTypes.UnknownCase, $"The hub has not handed submission {report.SubmissionId} to '{target}' as {report.Aktenzeichen}.")
            : Results.Ok(new { outcome = outcome.ToString().ToLowerInvariant() });
    }

    /// <summary>Reads and checks a report; the error names the field, never its value.</summary>
    internal static bool TryParse(byte[] body, out ProcedureReport report, out string error)
    {
        report = null!;
        JsonObject json;
        try
        {
            json = JsonNode.Parse(body) as JsonObject ?? throw new JsonException();
        }
        catch (JsonException)
        {
            error = "The body is not a JSON object.";
            return false;
        }

        if (!Guid.TryParse(Str(json, "submissionId"), out var submissionId)) return Fail("submissionId must be a UUID.", out error);
        var aktenzeichen = Str(json, "aktenzeichen");
        if (string.IsNullOrWhiteSpace(aktenzeichen) || aktenzeichen.Length > 100) return Fail("aktenzeichen is required (at most 100 characters).", out error);
        if (json["sequence"] is not JsonValue sequenceNode || !sequenceNode.TryGetValue<int>(out var sequence) || sequence < 1)
            return Fail("sequence must be a positive integer.", out error);
        var status = Str(json, "status");
        if (status is null || !CitizenStatus.Reportable.Contains(status))
            return Fail($"status must be one of {string.Join(", ", CitizenStatus.Reportable)}.", out error);
        if (!DateTimeOffset.TryParse(Str(json, "occurredAt"), CultureInfo.InvariantCulture, DateTimeStyles.None, out var occurredAt))
            return Fail("occurredAt must be an ISO 8601 date-time.", out error);
        DateTimeOffset? deadline = null;
        if (Str(json, "deadline") is { } d)
        {
            if (!DateTimeOffset.TryParse(d, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)) return Fail("deadline must be an ISO 8601 date-time.", out error);
            deadline = parsed;
        }
        if (status == CitizenStatus.ActionRequired && deadline is null) return Fail("An ACTION_REQUIRED report needs its deadline.", out error);

        ReportedDocument? document = null;
        if (json["document"] is JsonObject doc)
        {
            var fileName = Str(doc, "fileName");
            var mimeType = Str(doc, "mimeType");
            byte[] content;
            try { content = Convert.FromBase64String(Str(doc, "content") ?? ""); }
            catch (FormatException) { return Fail("document.content must be base64.", out error); }
            if (string.IsNullOrWhiteSpace(fileName) || string.IsNullOrWhiteSpace(mimeType) || content.Length == 0)
                return Fail("document needs fileName, mimeType and content.", out error);
            if (!Sha512Hex.FixedTimeEqualsHex(Str(doc, "sha512") ?? "", Convert.ToHexStringLower(SHA512.HashData(content))))
                return Fail("document.sha512 does not match its content.", out error);
            document = new ReportedDocument(Path.GetFileName(fileName), mimeType, new MemoryStream(content, writable: false));
        }
        if (status == CitizenStatus.Completed && document is null) return Fail("A COMPLETED report carries its Bescheid as document.", out error);

        report = new ProcedureReport(submissionId, aktenzeichen, sequence, status, occurredAt, deadline, document);
        error = string.Empty;
        return true;
    }

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }

    private static string? Str(JsonObject json, string name) =>
        json[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>The hub's callback verifier, shared by every callback endpoint (one replay window).</summary>
    public static IServiceCollection AddCallbackAuthentication(this IServiceCollection services)
    {
        services.AddSingleton(_ => new CallbackAuthentication());
        return services;
    }
}
