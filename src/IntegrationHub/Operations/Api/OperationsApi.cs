using IntegrationHub.Operations.Access;
using IntegrationHub.Problems;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static IntegrationHub.Operations.Api.OperationsRequests;

namespace IntegrationHub.Operations.Api;

/// <summary>
/// The operations API (/api/v1/operations) for hubctl and scripts: a thin layer over the operations services, which enforce
/// roles, municipalities, masking and the audit log themselves. JSON in camelCase with enums as strings; every error is a
/// problem. Reads need the reader role, retry/archive/restore the operator role, edits the admin role.
/// </summary>
public static class OperationsApi
{
    public const string Prefix = "/api/v1/operations";

    public static IServiceCollection AddOperationsApi(this IServiceCollection services)
    {
        // One handler for the whole app; it leaves every endpoint but the operations API to ASP.NET Core's default.
        services.Replace(ServiceDescriptor.Singleton<IAuthorizationMiddlewareResultHandler, OperationsAuthorizationResults>());
        return services;
    }

    /// <summary>Groups under <paramref name="path"/> (below the prefix) for the three roles, with refusals answered as problems.</summary>
    public static (RouteGroupBuilder Read, RouteGroupBuilder Act, RouteGroupBuilder Admin) MapRoleGroups(this IEndpointRouteBuilder app, string path = "")
    {
        var api = app.MapGroup(Prefix + path).WithTags("Operations").WithMetadata(new OperationsApiEndpoint())
            .AddEndpointFilter(RefusalsAsProblems);
        return (api.MapGroup("").RequireAuthorization(OperatorAuthentication.ReaderPolicy),
            api.MapGroup("").RequireAuthorization(OperatorAuthentication.OperatorPolicy).DisableAntiforgery(),
            api.MapGroup("").RequireAuthorization(OperatorAuthentication.AdminPolicy).DisableAntiforgery());
    }

    public static WebApplication MapOperationsApi(this WebApplication app)
    {
        var (read, act, admin) = app.MapRoleGroups();

        read.MapGet("/me", Me).WithSummary("The signed-in operator: name, role, municipalities");
        read.MapGet("/failed-messages", ListFailedAsync).WithSummary("Failed messages matching the filter, newest first (offset, limit)");
        read.MapGet("/failed-messages/groups", GroupsAsync).WithSummary("Failed messages grouped by fingerprint, messageType, endpoint, municipality or target");
        read.MapGet("/failed-messages/{id}", FailedMessageAsync).WithSummary("One failed message with its history (body and headers masked unless admin)");
        act.MapPost("/failed-messages/retry", RetryAsync).WithSummary("Starts a retry batch for ids or a filter; 202 with the batch");
        act.MapPost("/failed-messages/archive", (HttpContext h, CancellationToken ct) => ArchiveOrRestoreAsync(h, archive: true, ct))
            .WithSummary("Archives the selected failed messages");
        act.MapPost("/failed-messages/restore", (HttpContext h, CancellationToken ct) => ArchiveOrRestoreAsync(h, archive: false, ct))
            .WithSummary("Restores archived failed messages");
        read.MapGet("/retry-batches", BatchesAsync).WithSummary("Retry batches, newest first (running=true: only those still running)");
        read.MapGet("/retry-batches/{id}", BatchAsync).WithSummary("One retry batch's progress");
        admin.MapGet("/edits", EditsAsync).WithSummary("Proposed and decided edits (status=proposed|approved|rejected)");
        admin.MapPost("/failed-messages/{id}/edits", ProposeEditAsync).WithSummary("Proposes an edit (xml and/or headers, reason) for a second admin's approval");
        admin.MapPost("/edits/{id}/approve", ApproveEditAsync).WithSummary("Approves another admin's edit and retries the message with it");
        admin.MapPost("/edits/{id}/reject", RejectEditAsync).WithSummary("Rejects an edit (note)");
        read.MapGet("/submissions", FindSubmissionsAsync).WithSummary("Submissions by submission id, case id or Aktenzeichen (q)");
        read.MapGet("/submissions/{id}", SubmissionAsync).WithSummary("A submission's timeline from receipt to Bescheid, with its failures");
        read.MapGet("/dashboard", DashboardAsync).WithSummary("Throughput, outcomes, deliveries and failures over a time window (default: the last 24 hours)");
        read.MapGet("/audit", AuditAsync).WithSummary("The audit log of operator actions (admins see everyone's, others their own)");
        return app;
    }

    private static async ValueTask<object?> RefusalsAsProblems(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try { return await next(context); }
        catch (OperationRefusedException refused)
        {
            return ProblemResults.Problem(refused.Type, refused.Message == refused.Type.Title ? null : refused.Message);
        }
    }

    /// <summary>The signed-in operator (the role policies made sure there is one).</summary>
    public static Operator Who(HttpContext http) =>
        http.User.Operator() ?? throw new OperationRefusedException(ProblemTypes.OperatorUnauthenticated);

    /// <summary>Resolved per request: a hub whose part is not wired answers 503 instead of failing to start.</summary>
    private static T Service<T>(HttpContext http) where T : class =>
        http.RequestServices.GetService<T>()
        ?? throw new OperationRefusedException(ProblemTypes.OperationsUnavailable, $"No {typeof(T).Name[1..]} service is configured in this hub.");

    private static IResult Ok<T>(T value, int status = StatusCodes.Status200OK) => Results.Json(value, Json, statusCode: status);

    private static IResult Me(HttpContext http, CancellationToken ct)
    {
        var who = Who(http);
        return Ok(new
        {
            name = who.Name,
            role = who.Role,
            municipalities = who.Municipalities,
            mayAct = who.MayAct,
            seesSocialData = who.SeesSocialData,
            seesExceptionMessages = who.SeesExceptionMessages,
        });
    }

    private static async Task<IResult> ListFailedAsync(HttpContext http, CancellationToken ct)
    {
        var (filter, problem) = OperationsRequests.Filter(http.Request.Query);
        var reader = new QueryReader(http.Request.Query);
        var offset = reader.Int("offset", 0, 0, int.MaxValue);
        var limit = reader.Int("limit", DefaultLimit, 1, MaxLimit);
        if ((problem ?? reader.Problem) is { } invalid) return invalid;
        return Ok(await Service<IFailedMessages>(http).ListAsync(Who(http), filter!, offset, limit, ct));
    }

    private static async Task<IResult> GroupsAsync(HttpContext http, CancellationToken ct)
    {
        var (filter, problem) = OperationsRequests.Filter(http.Request.Query);
        var reader = new QueryReader(http.Request.Query);
        var by = reader.Enum<FailureGrouping>("by") ?? FailureGrouping.Fingerprint;
        if ((problem ?? reader.Problem) is { } invalid) return invalid;
        return Ok(await Service<IFailedMessages>(http).GroupsAsync(Who(http), by, filter!, ct));
    }

    private static async Task<IResult> FailedMessageAsync(string id, HttpContext http, CancellationToken ct)
    {
        if (!TryId(id, out var messageId)) return InvalidQuery("The failed message's id must be a GUID.");
        return await Service<IFailedMessages>(http).GetAsync(Who(http), messageId, ct) is { } detail
            ? Ok(detail)
            : ProblemResults.Problem(ProblemTypes.FailedMessageNotFound, $"No failed message {messageId} that this operator may see.");
    }

    private static async Task<IResult> RetryAsync(HttpContext http, CancellationToken ct)
    {
        var (body, problem) = await BodyAsync<SelectionBody>(http.Request, ct);
        if (problem is not null) return problem;
        var (selection, invalid) = Selection(body!);
        if (invalid is not null) return invalid;
        var redirectTo = string.IsNullOrWhiteSpace(body!.RedirectTo) ? null : body.RedirectTo.Trim();
        var batch = await Service<IFailedMessages>(http).RetryAsync(Who(http), selection!, redirectTo, ct);
        http.Response.Headers.Location = $"{Prefix}/retry-batches/{batch.Id}";
        return Ok(batch, StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> ArchiveOrRestoreAsync(HttpContext http, bool archive, CancellationToken ct)
    {
        var (body, problem) = await BodyAsync<SelectionBody>(http.Request, ct);
        if (problem is not null) return problem;
        if (body!.RedirectTo is not null) return Invalid("redirectTo applies to retries only.");
        var (selection, invalid) = Selection(body);
        if (invalid is not null) return invalid;
        var messages = Service<IFailedMessages>(http);
        return archive
            ? Ok(new { archived = await messages.ArchiveAsync(Who(http), selection!, ct) })
            : Ok(new { restored = await messages.RestoreAsync(Who(http), selection!, ct) });
    }

    private static async Task<IResult> BatchesAsync(HttpContext http, CancellationToken ct)
    {
        var reader = new QueryReader(http.Request.Query);
        var running = reader.Bool("running");
        if (reader.Problem is { } invalid) return invalid;
        return Ok(await Service<IFailedMessages>(http).BatchesAsync(Who(http), running, ct));
    }

    private static async Task<IResult> BatchAsync(string id, HttpContext http, CancellationToken ct)
    {
        if (!TryId(id, out var batchId)) return InvalidQuery("The retry batch's id must be a GUID.");
        return await Service<IFailedMessages>(http).GetBatchAsync(Who(http), batchId, ct) is { } batch
            ? Ok(batch)
            : ProblemResults.Problem(ProblemTypes.RetryBatchNotFound, $"No retry batch {batchId} that this operator may see.");
    }

    private static async Task<IResult> EditsAsync(HttpContext http, CancellationToken ct)
    {
        var reader = new QueryReader(http.Request.Query);
        var status = reader.Enum<MessageEditStatus>("status");
        if (reader.Problem is { } invalid) return invalid;
        return Ok(await Service<IMessageEdits>(http).ListAsync(Who(http), status, ct));
    }

    private static async Task<IResult> ProposeEditAsync(string id, HttpContext http, CancellationToken ct)
    {
        if (!TryId(id, out var messageId)) return InvalidQuery("The failed message's id must be a GUID.");
        var (body, problem) = await BodyAsync<EditBody>(http.Request, ct);
        if (problem is not null) return problem;
        if (string.IsNullOrWhiteSpace(body!.Reason)) return Invalid("reason is required: say why the message is edited.");
        if (string.IsNullOrWhiteSpace(body.Xml) && (body.Headers is null || body.Headers.Count == 0))
            return Invalid("Send the corrected xml, changed headers, or both.");
        var edit = await Service<IMessageEdits>(http).ProposeAsync(Who(http), messageId, string.IsNullOrWhiteSpace(body.Xml) ? null : body.Xml,
            body.Headers is { Count: > 0 } ? body.Headers : null, body.Reason.Trim(), ct);
        return Ok(edit, StatusCodes.Status201Created);
    }

    private static async Task<IResult> ApproveEditAsync(string id, HttpContext http, CancellationToken ct)
    {
        if (!TryId(id, out var editId)) return InvalidQuery("The edit's id must be a GUID.");
        return Ok(await Service<IMessageEdits>(http).ApproveAsync(Who(http), editId, ct));
    }

    private static async Task<IResult> RejectEditAsync(string id, HttpContext http, CancellationToken ct)
    {
        if (!TryId(id, out var editId)) return InvalidQuery("The edit's id must be a GUID.");
        var (body, problem) = await BodyAsync<RejectBody>(http.Request, ct);
        if (problem is not null) return problem;
        if (string.IsNullOrWhiteSpace(body!.Note)) return Invalid("note is required: say why the edit is rejected.");
        return Ok(await Service<IMessageEdits>(http).RejectAsync(Who(http), editId, body.Note.Trim(), ct));
    }

    private static async Task<IResult> FindSubmissionsAsync(HttpContext http, CancellationToken ct)
    {
        var q = new QueryReader(http.Request.Query).Text("q");
        if (q is null) return InvalidQuery("q is required: a submission id, case id or Aktenzeichen.");
        if (q.Length > 200) return InvalidQuery("q may have at most 200 characters.");
        return Ok(await Service<IOperationsOverview>(http).FindSubmissionsAsync(Who(http), q, ct));
    }

    private static async Task<IResult> SubmissionAsync(string id, HttpContext http, CancellationToken ct)
    {
        if (!TryId(id, out var submissionId)) return InvalidQuery("The submission's id must be a GUID (search by case id or Aktenzeichen with ?q=).");
        return await Service<IOperationsOverview>(http).SubmissionAsync(Who(http), submissionId, ct) is { } view
            ? Ok(view)
            : ProblemResults.Problem(ProblemTypes.SubmissionNotFound, $"No submission {submissionId} that this operator may see.");
    }

    private static async Task<IResult> DashboardAsync(HttpContext http, CancellationToken ct)
    {
        var reader = new QueryReader(http.Request.Query);
        var to = reader.Time("to") ?? DateTimeOffset.UtcNow;
        var from = reader.Time("from") ?? to.AddHours(-24);
        if (reader.Problem is { } invalid) return invalid;
        if (from >= to) return InvalidQuery("from must be before to.");
        if (to - from > TimeSpan.FromDays(93)) return InvalidQuery("The dashboard covers at most 93 days.");
        return Ok(await Service<IOperationsOverview>(http).DashboardAsync(Who(http), from, to, ct));
    }

    private static async Task<IResult> AuditAsync(HttpContext http, CancellationToken ct)
    {
        var reader = new QueryReader(http.Request.Query);
        var actor = reader.Text("actor");
        var action = reader.Text("action");
        var from = reader.Time("from");
        var to = reader.Time("to");
        var offset = reader.Int("offset", 0, 0, int.MaxValue);
        var limit = reader.Int("limit", DefaultLimit, 1, MaxLimit);
        if (reader.Problem is { } invalid) return invalid;
        return Ok(await Service<IOperatorAudit>(http).ListAsync(Who(http), actor, action, from, to, offset, limit, ct));
    }
}
