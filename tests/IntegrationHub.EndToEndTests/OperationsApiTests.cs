using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.Operations;
using IntegrationHub.Operations.Access;
using IntegrationHub.Problems;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>The operations API over stand-in services: authentication, roles, problems, query and body binding, the audit log.</summary>
[Collection(OperationsApiCollection.Name)]
public sealed class OperationsApiTests(OperationsApiFixture hub)
{
    private const string Api = "/api/v1/operations/";

    [Fact]
    public async Task Without_a_key_the_api_answers_401_operator_unauthenticated()
    {
        var before = hub.FailedMessages.Calls.Count;

        var response = await hub.Client(null).GetAsync(Api + "failed-messages/groups");

        await ExpectProblemAsync(response, HttpStatusCode.Unauthorized, "operator-unauthenticated");
        hub.FailedMessages.Calls.Count.Should().Be(before);
    }

    [Fact]
    public async Task A_wrong_key_is_401_and_says_the_key_is_unknown()
    {
        var response = await hub.Client("not-a-configured-key").GetAsync(Api + "me");

        var problem = await ExpectProblemAsync(response, HttpStatusCode.Unauthorized, "operator-unauthenticated");
        problem["detail"]!.GetValue<string>().Should().Contain("API key is not known");
    }

    [Fact]
    public async Task Me_names_the_operator_and_role_with_enums_as_strings()
    {
        var me = await hub.Client(OperationsApiFixture.OperatorKey).GetFromJsonAsync<JsonObject>(Api + "me");

        me!["name"]!.GetValue<string>().Should().Be("e2e-operator");
        me["role"]!.GetValue<string>().Should().Be("operator");
        me["mayAct"]!.GetValue<bool>().Should().BeTrue();
        me["seesSocialData"]!.GetValue<bool>().Should().BeFalse();
    }

    [Fact]
    public async Task Wrong_api_keys_are_audited_and_an_address_that_keeps_guessing_gets_429_even_with_a_right_key()
    {
        try
        {
            // A fresh count for this address (other tests send unknown keys too), then three failures allowed.
            hub.Reconfigure(("Hub:Operations:FailedSignInWindow", "00:00:00"));
            (await hub.Client("guess-1").GetAsync(Api + "me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            hub.Reconfigure(("Hub:Operations:FailedSignInWindow", "00:15:00"), ("Hub:Operations:FailedSignInLimit", "3"));
            (await hub.Client("guess-2").GetAsync(Api + "me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            (await hub.Client("guess-3").GetAsync(Api + "me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

            var refused = await hub.Client(OperationsApiFixture.ReaderKey).GetAsync(Api + "me");

            await ExpectProblemAsync(refused, HttpStatusCode.TooManyRequests, "operator-sign-in-throttled");
            refused.Headers.RetryAfter!.Delta!.Value.Should().BePositive();
            var audit = await hub.InLedgerAsync(db => db.OperatorAudit.AsNoTracking().Where(e => e.Subject == "api-key" && e.Action.StartsWith("sign-in-"))
                .OrderByDescending(e => e.Id).Take(4).Select(e => e.Action).ToListAsync());
            audit.Should().Equal("sign-in-throttled", "sign-in-failed", "sign-in-failed", "sign-in-failed");
        }
        finally
        {
            hub.Reconfigure(("Hub:Operations:FailedSignInWindow", "00:15:00"), ("Hub:Operations:FailedSignInLimit", "10"));
        }
        (await hub.Client(OperationsApiFixture.ReaderKey).GetAsync(Api + "me")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_reader_may_not_retry_403_operator_forbidden()
    {
        var before = hub.FailedMessages.Calls.Count(c => c.Call == "retry");

        var response = await hub.Client(OperationsApiFixture.ReaderKey).PostAsync(Api + "failed-messages/retry",
            Json(new { ids = new[] { FakeFailedMessages.KnownId } }));

        var problem = await ExpectProblemAsync(response, HttpStatusCode.Forbidden, "operator-forbidden");
        problem["detail"]!.GetValue<string>().Should().Contain("operator role");
        hub.FailedMessages.Calls.Count(c => c.Call == "retry").Should().Be(before);
    }

    [Fact]
    public async Task An_operator_retries_a_group_202_with_the_batch_and_its_location()
    {
        var client = hub.Client(OperationsApiFixture.OperatorKey);

        var response = await client.PostAsync(Api + "failed-messages/retry",
            Json(new { filter = new { group = FakeFailedMessages.ProsozGroupKey, target = "prosoz" }, redirectTo = "prosoz-backup" }));

        response.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var batch = await response.Content.ReadFromJsonAsync<JsonObject>();
        batch!["status"]!.GetValue<string>().Should().Be("running");
        batch["total"]!.GetValue<int>().Should().Be(3);
        response.Headers.Location!.ToString().Should().Be($"/api/v1/operations/retry-batches/{batch["id"]}");
        var (selection, redirectTo) = hub.FailedMessages.Last<(FailedMessageSelection, string?)>("retry");
        selection.Ids.Should().BeNull();
        selection.Filter!.Group.Should().Be(FakeFailedMessages.ProsozGroupKey);
        selection.Filter.Target.Should().Be("prosoz");
        redirectTo.Should().Be("prosoz-backup");
        hub.FailedMessages.Calls.Last(c => c.Call == "retry").Who.Name.Should().Be("e2e-operator");

        var followed = await client.GetFromJsonAsync<JsonObject>(response.Headers.Location);
        followed!["id"]!.ToString().Should().Be(batch["id"]!.ToString());
        followed["issued"]!.GetValue<int>().Should().Be(1);
    }

    [Fact]
    public async Task A_refusal_of_the_service_is_answered_with_its_problem_type()
    {
        var response = await hub.Client(OperationsApiFixture.OperatorKey).PostAsync(Api + "failed-messages/retry",
            Json(new { ids = new[] { FakeFailedMessages.KnownId }, redirectTo = FakeFailedMessages.UnknownTarget }));

        var problem = await ExpectProblemAsync(response, (HttpStatusCode)422, "redirect-target-invalid");
        problem["title"]!.GetValue<string>().Should().Be(FakeFailedMessages.RedirectRefused.Title);
        problem["detail"]!.GetValue<string>().Should().Contain(FakeFailedMessages.UnknownTarget);
    }

    [Theory]
    [InlineData("{}", "invalid-selection")]
    [InlineData("""{"filter":{}}""", "invalid-selection")]
    [InlineData("""{"ids":[]}""", "invalid-selection")]
    [InlineData("""{"ids":["6d1a4f0e-2b7c-4a39-9a55-1f6f5a2c7b01"],"filter":{"target":"prosoz"}}""", "invalid-selection")]
    [InlineData("""{"ids":["not-a-guid"]}""", "invalid-request")]
    [InlineData("""{"filter":{"statuses":["broken"]}}""", "invalid-request")]
    [InlineData("""{"filtr":{"target":"prosoz"}}""", "invalid-request")]
    public async Task An_invalid_selection_is_a_specific_400_and_reaches_no_service(string body, string type)
    {
        var before = hub.FailedMessages.Calls.Count(c => c.Call == "archive");

        var response = await hub.Client(OperationsApiFixture.OperatorKey).PostAsync(Api + "failed-messages/archive",
            new StringContent(body, Encoding.UTF8, "application/json"));

        await ExpectProblemAsync(response, HttpStatusCode.BadRequest, type);
        hub.FailedMessages.Calls.Count(c => c.Call == "archive").Should().Be(before);
    }

    [Fact]
    public async Task Everything_needs_all_true_and_then_reaches_the_service_as_an_empty_filter()
    {
        var response = await hub.Client(OperationsApiFixture.OperatorKey).PostAsync(Api + "failed-messages/restore", Json(new { all = true }));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync<JsonObject>())!["restored"]!.GetValue<int>().Should().Be(7);
        hub.FailedMessages.Last<FailedMessageSelection>("restore").Filter.Should().Be(new FailedMessageFilter());
    }

    [Fact]
    public async Task Query_filters_reach_the_service()
    {
        var client = hub.Client(OperationsApiFixture.ReaderKey);
        var submission = Guid.NewGuid();

        var page = await client.GetFromJsonAsync<JsonObject>(Api + "failed-messages?ars=064130000000&target=prosoz&group=3f2a9c1d"
            + "&exceptionType=TargetUnavailableException&messageType=DeliveryRequested&endpoint=submission-delivery"
            + $"&from=2025-03-01T00:00:00Z&to=2025-03-02T00:00:00Z&status=unresolved&status=RetryIssued&submissionId={submission}&offset=10&limit=20");

        var (filter, offset, limit) = hub.FailedMessages.Last<(FailedMessageFilter, int, int)>("list");
        filter.Should().BeEquivalentTo(new FailedMessageFilter("064130000000", "prosoz", "3f2a9c1d", "TargetUnavailableException", "DeliveryRequested",
            "submission-delivery", DateTimeOffset.Parse("2025-03-01T00:00:00Z"), DateTimeOffset.Parse("2025-03-02T00:00:00Z"),
            [FailedMessageStatus.Unresolved, FailedMessageStatus.RetryIssued], submission));
        (offset, limit).Should().Be((10, 20));
        page!["items"]!.AsArray()[0]!["status"]!.GetValue<string>().Should().Be("unresolved");

        await client.GetAsync(Api + "failed-messages/groups?by=municipality&target=marius");
        var (by, groupFilter) = hub.FailedMessages.Last<(FailureGrouping, FailedMessageFilter)>("groups");
        by.Should().Be(FailureGrouping.Municipality);
        groupFilter.Target.Should().Be("marius");
    }

    [Theory]
    [InlineData("failed-messages?submissionId=nope", "submissionId must be a GUID")]
    [InlineData("failed-messages?status=broken", "status must be one of unresolved, retryIssued, resolved, archived")]
    [InlineData("failed-messages?status=1", "status must be one of")]
    [InlineData("failed-messages?from=yesterday", "from must be an ISO 8601 time")]
    [InlineData("failed-messages?limit=5000", "limit must be a whole number from 1 to 500")]
    [InlineData("failed-messages/groups?by=weather", "by must be one of fingerprint")]
    [InlineData("failed-messages/not-a-guid", "must be a GUID")]
    [InlineData("retry-batches?running=maybe", "running must be true or false")]
    [InlineData("submissions", "q is required")]
    public async Task Malformed_query_parameters_are_a_specific_400(string path, string detail)
    {
        var response = await hub.Client(OperationsApiFixture.ReaderKey).GetAsync(Api + path);

        var problem = await ExpectProblemAsync(response, HttpStatusCode.BadRequest, "invalid-operations-query");
        problem["detail"]!.GetValue<string>().Should().Contain(detail);
    }

    [Fact]
    public async Task Unknown_ids_are_404_problems()
    {
        var client = hub.Client(OperationsApiFixture.ReaderKey);

        await ExpectProblemAsync(await client.GetAsync(Api + $"failed-messages/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "failed-message-not-found");
        await ExpectProblemAsync(await client.GetAsync(Api + $"retry-batches/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "retry-batch-not-found");
        await ExpectProblemAsync(await client.GetAsync(Api + $"submissions/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "submission-not-found");
        var detail = await client.GetFromJsonAsync<JsonObject>(Api + $"failed-messages/{FakeFailedMessages.KnownId}");
        detail!["masked"]!.GetValue<bool>().Should().BeTrue();
    }

    [Fact]
    public async Task Edits_are_for_admins_only()
    {
        var edit = Json(new { xml = "<antrag/>", reason = "wrong postcode" });
        var path = Api + $"failed-messages/{FakeFailedMessages.KnownId}/edits";

        await ExpectProblemAsync(await hub.Client(OperationsApiFixture.OperatorKey).PostAsync(path, edit), HttpStatusCode.Forbidden, "operator-forbidden");
        await ExpectProblemAsync(await hub.Client(OperationsApiFixture.OperatorKey).GetAsync(Api + "edits"), HttpStatusCode.Forbidden, "operator-forbidden");
        await ExpectProblemAsync(await hub.Client(OperationsApiFixture.ReaderKey).PostAsync(Api + $"edits/{Guid.NewGuid()}/approve", null),
            HttpStatusCode.Forbidden, "operator-forbidden");

        var proposed = await hub.Client(OperationsApiFixture.AdminKey).PostAsync(path, Json(new { xml = "<antrag/>", reason = "wrong postcode" }));
        proposed.StatusCode.Should().Be(HttpStatusCode.Created);
        var view = await proposed.Content.ReadFromJsonAsync<JsonObject>();
        view!["status"]!.GetValue<string>().Should().Be("proposed");
        hub.Edits.Calls.Last(c => c.Call == "propose").Argument.Should().Be((FakeFailedMessages.KnownId, (string?)"<antrag/>", "wrong postcode"));

        var approver = hub.Client(OperationsApiFixture.ApproverKey);
        var approved = await approver.PostAsync(Api + $"edits/{view["id"]}/approve", null);
        approved.StatusCode.Should().Be(HttpStatusCode.OK);
        hub.Edits.Calls.Last(c => c.Call == "approve").Who.Name.Should().Be("e2e-approver");

        await ExpectProblemAsync(await approver.PostAsync(Api + $"edits/{view["id"]}/reject", Json(new { note = " " })), HttpStatusCode.BadRequest, "invalid-request");
        await ExpectProblemAsync(await approver.PostAsync(path, Json(new { reason = "nothing changed" })), HttpStatusCode.BadRequest, "invalid-request");
        (await approver.GetAsync(Api + "edits?status=Proposed")).StatusCode.Should().Be(HttpStatusCode.OK);
        hub.Edits.Calls.Last(c => c.Call == "list").Argument.Should().Be(MessageEditStatus.Proposed);
    }

    [Fact]
    public async Task Submissions_are_found_by_aktenzeichen_and_show_their_timeline()
    {
        var client = hub.Client(OperationsApiFixture.ReaderKey);

        var matches = await client.GetFromJsonAsync<JsonArray>(Api + $"submissions?q={FakeOperationsOverview.Aktenzeichen}");
        var view = await client.GetFromJsonAsync<JsonObject>(Api + $"submissions/{FakeOperationsOverview.SubmissionId}");

        matches!.Single()!["submissionId"]!.GetValue<Guid>().Should().Be(FakeOperationsOverview.SubmissionId);
        view!["timeline"]!.AsArray().Select(e => e!["step"]!.GetValue<string>()).Should().Equal("received", "accepted", "delivered", "bescheid");
    }

    [Fact]
    public async Task The_dashboard_defaults_to_the_last_24_hours()
    {
        var dashboard = await hub.Client(OperationsApiFixture.ReaderKey).GetFromJsonAsync<JsonObject>(Api + "dashboard");

        var (from, to) = ((DateTimeOffset, DateTimeOffset))hub.Overview.Calls.Last(c => c.Call == "dashboard").Argument!;
        (to - from).Should().Be(TimeSpan.FromHours(24));
        dashboard!["accepted"]!.GetValue<int>().Should().Be(5);
        await ExpectProblemAsync(await hub.Client(OperationsApiFixture.ReaderKey).GetAsync(Api + "dashboard?from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z"),
            HttpStatusCode.BadRequest, "invalid-operations-query");
    }

    [Fact]
    public async Task The_audit_log_lists_admins_everyone_and_others_their_own()
    {
        var action = "test-action-" + Guid.NewGuid().ToString("N")[..8];
        await using (var scope = hub.Factory.Services.CreateAsyncScope())
        {
            var audit = scope.ServiceProvider.GetRequiredService<IOperatorAudit>();
            // As the API-key operators of the fixture, by the identity their keys sign in with.
            await audit.WriteAsync(new Operator("e2e-operator", OperatorRole.Operator, Identity: OperatorDirectory.ApiKeyIdentityPrefix + "e2e-operator"),
                action, "group 3f2a9c1d", 12);
            await audit.WriteAsync(new Operator("e2e-admin", OperatorRole.Admin, Identity: OperatorDirectory.ApiKeyIdentityPrefix + "e2e-admin"), action, "edit 42");
        }

        var asAdmin = await hub.Client(OperationsApiFixture.AdminKey).GetFromJsonAsync<JsonObject>(Api + $"audit?action={action}&limit=10");
        var asOperator = await hub.Client(OperationsApiFixture.OperatorKey).GetFromJsonAsync<JsonObject>(Api + $"audit?action={action}");
        var byActor = await hub.Client(OperationsApiFixture.AdminKey).GetFromJsonAsync<JsonObject>(Api + $"audit?action={action}&actor=e2e-operator");

        asAdmin!["total"]!.GetValue<int>().Should().Be(2);
        asAdmin["items"]!.AsArray().Select(e => e!["actor"]!.GetValue<string>()).Should().Equal("e2e-admin", "e2e-operator");
        asOperator!["items"]!.AsArray().Should().ContainSingle().Which!["subject"]!.GetValue<string>().Should().Be("group 3f2a9c1d");
        byActor!["items"]!.AsArray().Should().ContainSingle().Which!["count"]!.GetValue<int>().Should().Be(12);
    }

    [Fact]
    public async Task The_openapi_document_lists_the_operations_endpoints()
    {
        var document = await hub.Client(null).GetFromJsonAsync<JsonObject>("/openapi/v1.json");

        var paths = document!["paths"]!.AsObject().Select(p => p.Key).ToList();
        paths.Should().Contain(["/api/v1/operations/failed-messages/retry", "/api/v1/operations/failed-messages/groups",
            "/api/v1/operations/retry-batches/{id}", "/api/v1/operations/edits/{id}/approve", "/api/v1/operations/audit"]);
    }

    private static StringContent Json(object body) => new(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    private static async Task<JsonObject> ExpectProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, text);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonNode.Parse(text)!.AsObject();
        problem["type"]!.GetValue<string>().Should().Be(ProblemType.Prefix + type);
        return problem;
    }
}
