using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.CaseStatus;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Problems;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Prosoz;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// Tenant isolation on every API: a caller of municipality A (Offenbach) can never read, replay, look up or change
/// anything of municipality B (Darmstadt). Denials are specific problems; where an id could tell that B's resource
/// exists, the answer for B's id is the same as for an id that exists nowhere.
/// </summary>
[Collection(AccessCollection.Name)]
public sealed class TenantIsolationTests(AccessHubFixture hub)
{
    private const string Ops = "/api/v1/operations/";
    private static readonly string Unknown = Guid.NewGuid().ToString();

    // ----- sender API (FIT-Connect submission API) -----

    [Fact]
    public async Task A_sender_cannot_create_submissions_at_the_destinations_of_another_municipality()
    {
        using var a = await hub.SenderApiAsync(AccessHubFixture.OffenbachClientId);
        foreach (var destination in new[] { HubFixture.DarmstadtWohngeld, HubFixture.DarmstadtSozialhilfe })
        {
            var response = await a.PostAsJsonAsync("/v1/submissions", new
            {
                destinationId = destination,
                serviceType = new { identifier = "urn:de:fim:leika:leistung:99107004017000", name = "Wohngeld" },
            });
            await ExpectProblemAsync(response, HttpStatusCode.Forbidden, ProblemTypes.DestinationForbidden);
        }
        (await hub.InLedgerAsync(db => db.Submissions.CountAsync(s => s.SenderClientId == AccessHubFixture.OffenbachClientId && s.Ars == HubFixture.Darmstadt)))
            .Should().Be(0);
    }

    [Fact]
    public async Task A_sender_cannot_read_upload_to_submit_or_follow_the_submissions_of_another_municipality()
    {
        // B's submitted application, and one B has created but not yet submitted (with an announced attachment).
        var submitted = await hub.Sender(AccessHubFixture.DarmstadtClientId)
            .SubmitAsync(ApplicationFactory.Wohngeld(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 811), HubFixture.DarmstadtWohngeld);
        submitted.SubmitStatus.Should().Be(202);
        using var b = await hub.SenderApiAsync(AccessHubFixture.DarmstadtClientId);
        var attachment = Guid.NewGuid();
        var created = await b.PostAsJsonAsync("/v1/submissions", new
        {
            destinationId = HubFixture.DarmstadtWohngeld,
            serviceType = new { identifier = "urn:de:fim:leika:leistung:99107004017000", name = "Wohngeld" },
            announcedAttachments = new[] { attachment },
        });
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        var incomplete = (await created.Content.ReadFromJsonAsync<JsonObject>())!["submissionId"]!.GetValue<string>();

        using var a = await hub.SenderApiAsync(AccessHubFixture.OffenbachClientId);
        await ExpectSameAsUnknownAsync(id => a.GetAsync($"/v1/submissions/{id}"), submitted.SubmissionId.ToString()!,
            HttpStatusCode.NotFound, ProblemTypes.SubmissionNotFound);
        await ExpectSameAsUnknownAsync(id => a.GetAsync($"/v1/cases/{id}/events"), submitted.CaseId.ToString()!,
            HttpStatusCode.NotFound, ProblemTypes.CaseNotFound);
        await ExpectSameAsUnknownAsync(id => a.PutAsync($"/v1/submissions/{id}/attachments/{attachment}", Jose()), incomplete,
            HttpStatusCode.NotFound, ProblemTypes.SubmissionNotFound);
        await ExpectSameAsUnknownAsync(id => a.PutAsJsonAsync($"/v1/submissions/{id}", new { encryptedMetadata = "a.b.c.d.e", encryptedData = "a.b.c.d.e" }),
            incomplete, HttpStatusCode.NotFound, ProblemTypes.SubmissionNotFound);

        var row = await hub.InLedgerAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == Guid.Parse(incomplete)));
        row.Status.Should().Be(SubmissionStatus.Incomplete);
        (await hub.InLedgerAsync(db => db.SubmissionAttachments.CountAsync(x => x.SubmissionId == row.Id))).Should().Be(0);
    }

    // ----- evidence requesters and the access protocol -----

    [Fact]
    public async Task An_evidence_requester_of_A_cannot_look_up_evidence_in_B_nor_follow_B_s_requests()
    {
        using var a = await hub.RequesterApiAsync(AccessHubFixture.RequesterOffenbach);
        var refused = await a.PostAsJsonAsync("/api/v1/evidence/requests", Lookup(HubFixture.Darmstadt, "40000000811"));
        var problem = await ExpectProblemAsync(refused, HttpStatusCode.Forbidden, ProblemTypes.EvidenceRefused);
        problem["reason"]!.GetValue<string>().Should().Be("ANDERE_KOMMUNE");
        hub.Provider.Calls.Should().NotContain(c => c.Request.Person.IdNr == "40000000811", "a refused lookup never reaches B's register");

        using var b = await hub.RequesterApiAsync(AccessHubFixture.RequesterDarmstadt);
        var pending = await b.PostAsJsonAsync("/api/v1/evidence/requests", Lookup(HubFixture.Darmstadt, "40000000812", callbackUrl: "http://127.0.0.1:9/callbacks/darmstadt"));
        pending.StatusCode.Should().Be(HttpStatusCode.Accepted);
        var requestId = (await pending.Content.ReadFromJsonAsync<JsonObject>())!["requestId"]!.GetValue<string>();
        (await b.GetAsync($"/api/v1/evidence/requests/{requestId}")).StatusCode.Should().Be(HttpStatusCode.OK, "its own requester follows it");
        await ExpectSameAsUnknownAsync(id => a.GetAsync($"/api/v1/evidence/requests/{id}"), requestId,
            HttpStatusCode.NotFound, ProblemTypes.EvidenceRequestNotFound);

        // The access protocol is the citizens' cockpit's (its own key): a requester's token or secret does not open it.
        await ExpectProblemAsync(await a.GetAsync("/api/v1/protocol/persons/any-pseudonym"), HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        using var withSecret = hub.Factory.CreateClient();
        withSecret.DefaultRequestHeaders.Add("X-Api-Key", hub.RequesterSecret);
        await ExpectProblemAsync(await withSecret.PostAsJsonAsync("/api/v1/protocol/persons/lookup", new { idNr = "40000000812" }),
            HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        // Tokens are per API: the requester's token does not open the sender API, nor a sender's the evidence API.
        await ExpectProblemAsync(await a.GetAsync($"/v1/submissions/{Unknown}"), HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
        using var sender = await hub.SenderApiAsync(AccessHubFixture.OffenbachClientId);
        await ExpectProblemAsync(await sender.GetAsync($"/api/v1/evidence/requests/{requestId}"), HttpStatusCode.Unauthorized, ProblemTypes.Unauthorized);
    }

    // ----- procedures' callbacks -----

    [Fact]
    public async Task A_procedure_authenticated_for_A_s_target_cannot_report_on_a_case_handed_to_B_s_target()
    {
        var outcome = await hub.Sender().SubmitAsync(
            ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 813, withAttachment: false), HubFixture.DarmstadtSozialhilfe);
        outcome.SubmitStatus.Should().Be(202);
        var submissionId = outcome.SubmissionId!.Value;
        await hub.WaitForCitizenStatusAsync(submissionId, CitizenStatus.Received);
        var aktenzeichen = await hub.InLedgerAsync(db => db.Deliveries
            .Where(d => d.SubmissionId == submissionId && d.Target == AccessHubFixture.DarmstadtTarget && d.Step == DeliverySteps.Handover)
            .Select(d => d.Aktenzeichen).SingleAsync());
        aktenzeichen.Should().NotBeNull();
        var report = Report(submissionId, aktenzeichen!);

        // A's procedure, with A's secret, on its own endpoint: the hub did not give it this case.
        (await PostReportAsync("prosoz", report, hub.ProsozCallbackSecret)).Should().Be(ProblemTypes.UnknownCase.Uri);
        // A's secret on B's endpoint: not B's procedure.
        (await PostReportAsync(AccessHubFixture.DarmstadtTarget, report, hub.ProsozCallbackSecret)).Should().Be(ProblemTypes.CallbackUnauthenticated.Uri);
        (await hub.InLedgerAsync(db => db.StatusReports.CountAsync(r => r.SubmissionId == submissionId))).Should().Be(0);
        (await hub.TimelineAsync(submissionId)).CitizenStatus.Should().Be(CitizenStatus.Received);

        // B's own procedure may (the test could fail).
        (await PostReportAsync(AccessHubFixture.DarmstadtTarget, report, hub.DarmstadtCallbackSecret)).Should().Be("200");
    }

    // ----- operators limited to A: failed messages, retries, edits -----

    [Fact]
    public async Task An_operator_of_A_cannot_list_read_retry_archive_or_edit_B_s_failed_messages()
    {
        var (ofMessage, daMessage, daBatch) = await SeedFailuresAsync();
        using var reader = hub.Operations(AccessHubFixture.OffenbachReaderKey);
        using var @operator = hub.Operations(AccessHubFixture.OffenbachOperatorKey);
        using var admin = hub.Operations(AccessHubFixture.OffenbachAdminKey);

        var listed = await reader.GetFromJsonAsync<JsonObject>(Ops + "failed-messages?limit=500");
        var ids = listed!["items"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()).ToList();
        ids.Should().Contain(ofMessage.ToString()).And.NotContain(daMessage.ToString());
        (await reader.GetFromJsonAsync<JsonObject>(Ops + $"failed-messages?ars={HubFixture.Darmstadt}"))!["total"]!.GetValue<int>().Should().Be(0);
        (await reader.GetFromJsonAsync<JsonArray>(Ops + "failed-messages/groups?by=municipality"))!
            .Select(g => g!["key"]!.GetValue<string>()).Should().NotContain(HubFixture.Darmstadt);
        foreach (var client in new[] { reader, @operator, admin })
            await ExpectSameAsUnknownAsync(id => client.GetAsync(Ops + $"failed-messages/{id}"), daMessage.ToString(),
                HttpStatusCode.NotFound, ProblemTypes.FailedMessageNotFound);

        var retry = await @operator.PostAsJsonAsync(Ops + "failed-messages/retry", new { ids = new[] { daMessage } });
        retry.StatusCode.Should().Be(HttpStatusCode.Accepted);
        (await retry.Content.ReadFromJsonAsync<JsonObject>())!["total"]!.GetValue<int>().Should().Be(0);
        var byFilter = await @operator.PostAsJsonAsync(Ops + "failed-messages/retry", new { filter = new { ars = HubFixture.Darmstadt } });
        (await byFilter.Content.ReadFromJsonAsync<JsonObject>())!["total"]!.GetValue<int>().Should().Be(0);
        var archived = await @operator.PostAsJsonAsync(Ops + "failed-messages/archive", new { ids = new[] { daMessage } });
        (await archived.Content.ReadFromJsonAsync<JsonObject>())!["archived"]!.GetValue<int>().Should().Be(0);
        await ExpectSameAsUnknownAsync(id => admin.PostAsJsonAsync(Ops + $"failed-messages/{id}/edits", new { headers = new { x = "y" }, reason = "isolation" }),
            daMessage.ToString(), HttpStatusCode.NotFound, ProblemTypes.EditMessageNotFound);
        await ExpectSameAsUnknownAsync(id => @operator.GetAsync(Ops + $"retry-batches/{id}"), daBatch.ToString(),
            HttpStatusCode.NotFound, ProblemTypes.RetryBatchNotFound);
        (await @operator.GetFromJsonAsync<JsonArray>(Ops + "retry-batches"))!.Select(x => x!["id"]!.GetValue<string>()).Should().NotContain(daBatch.ToString());

        var after = await hub.InLedgerAsync(db => db.FailedMessages.AsNoTracking().SingleAsync(f => f.Id == daMessage));
        after.Status.Should().Be(FailedMessageStatus.Unresolved);
        after.RetryBatchId.Should().BeNull();
        (await hub.InLedgerAsync(db => db.MessageEdits.CountAsync(e => e.FailedMessageId == daMessage))).Should().Be(0);

        // The same operators do see and act on A's (the test could fail).
        (await reader.GetAsync(Ops + $"failed-messages/{ofMessage}")).StatusCode.Should().Be(HttpStatusCode.OK);
        var own = await @operator.PostAsJsonAsync(Ops + "failed-messages/archive", new { ids = new[] { ofMessage } });
        (await own.Content.ReadFromJsonAsync<JsonObject>())!["archived"]!.GetValue<int>().Should().Be(1);
    }

    [Fact]
    public async Task No_operator_redirects_a_delivery_to_another_municipality_s_own_target_and_the_console_offers_only_shared_and_own_targets()
    {
        // Langen, onboarded from a file, has its own Prosoz target (same kind as the seeded deliveries' "prosoz").
        const string langen = "064380006006";
        var langenTarget = $"{langen}.prosoz";
        using (var everyone = hub.Operations(AccessHubFixture.AdminKey))
        {
            var file = $"name: Stadt Langen\nars: \"{langen}\"\nags: \"06438006\"\nservices:\n  - leikaKey: \"{OnboardingHubFixture.Sozialhilfe}\"\n" +
                       $"    name: Sozialhilfe\n    schemaUri: urn:integrationhub:xoev:sozialhilfe:1.0\n    destination: {Guid.NewGuid()}\n    targets: [prosoz]\n" +
                       "targets:\n  prosoz:\n    kind: Prosoz\n    endpoint: http://127.0.0.1:9/prosoz/\n";
            using var applied = await everyone.PostAsJsonAsync(Ops + "municipalities/apply", new { name = "langen.yaml", content = file });
            applied.IsSuccessStatusCode.Should().BeTrue(await applied.Content.ReadAsStringAsync());
        }
        hub.Factory.Services.GetRequiredService<TenantDirectory>().TargetMunicipality(langenTarget).Should().Be(langen);
        var (ofMessage, _, _) = await SeedFailuresAsync();

        // An operator of A, and one of every municipality: a municipality's own target takes that municipality's deliveries only.
        foreach (var key in new[] { AccessHubFixture.OffenbachOperatorKey, AccessHubFixture.OperatorKey })
        {
            using var client = hub.Operations(key);
            var refused = await client.PostAsJsonAsync(Ops + "failed-messages/retry", new { ids = new[] { ofMessage }, redirectTo = langenTarget });
            await ExpectProblemAsync(refused, HttpStatusCode.Forbidden, ProblemTypes.RedirectTargetForeign);
        }
        var after = await hub.InLedgerAsync(db => db.FailedMessages.AsNoTracking().SingleAsync(f => f.Id == ofMessage));
        (after.Status, after.RetryBatchId).Should().Be((FailedMessageStatus.Unresolved, (Guid?)null));
        (await hub.InLedgerAsync(db => db.RetryBatches.CountAsync(b => b.RedirectTo == langenTarget))).Should().Be(0);

        using var session = new ConsoleSession(hub.BaseAddress);
        (await session.LoginAsync(AccessHubFixture.OffenbachOperatorKey)).StatusCode.Should().Be(HttpStatusCode.Redirect);
        var (_, group) = await session.PageAsync($"/ops/failed/group?by=municipality&key={HubFixture.Offenbach}");
        group.Should().Contain("<option value=\"prosoz\">prosoz</option>", "shared targets are offered").And.NotContain(langenTarget);
    }

    [Fact]
    public async Task Retry_batches_and_audit_entries_are_ones_own_by_identity_not_by_a_display_name_an_operator_of_B_may_share()
    {
        var ofA = new Operator("k.schmidt", OperatorRole.Admin, [HubFixture.Offenbach], "oidc:of-17");
        var ofB = new Operator("k.schmidt", OperatorRole.Admin, [HubFixture.Darmstadt], "oidc:da-42");
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IFailedMessages>();
        var audit = scope.ServiceProvider.GetRequiredService<IOperatorAudit>();

        // A batch of A's that selects nothing (so nothing is sent), and its audit entry.
        var batch = await store.RetryAsync(ofA, new FailedMessageSelection(Filter: new FailedMessageFilter(Target: "no-such-target")), null, default);

        (await store.GetBatchAsync(ofB, batch.Id, default)).Should().BeNull();
        (await store.BatchesAsync(ofB, runningOnly: false, default)).Should().NotContain(b => b.Id == batch.Id);
        (await audit.ListAsync(ofB, null, null, null, null, 0, 500, default)).Items.Should().NotContain(e => e.Detail == $"batch {batch.Id}");
        // A sees them (the test could fail).
        (await store.GetBatchAsync(ofA, batch.Id, default)).Should().NotBeNull();
        (await audit.ListAsync(ofA, null, null, null, null, 0, 500, default)).Items.Should().Contain(e => e.Detail == $"batch {batch.Id}");
    }

    [Fact]
    public async Task An_operator_of_A_finds_neither_B_s_submissions_nor_B_s_figures_on_the_dashboard()
    {
        var outcome = await hub.Sender(AccessHubFixture.DarmstadtClientId)
            .SubmitAsync(ApplicationFactory.Wohngeld(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 815), HubFixture.DarmstadtWohngeld);
        var submissionId = outcome.SubmissionId!.Value;
        await HubFixture.WaitForAsync(() => hub.InLedgerAsync(db => db.Deliveries.CountAsync(d => d.SubmissionId == submissionId)), n => n > 0);

        using var reader = hub.Operations(AccessHubFixture.OffenbachReaderKey);
        await ExpectSameAsUnknownAsync(id => reader.GetAsync(Ops + $"submissions/{id}"), submissionId.ToString(),
            HttpStatusCode.NotFound, ProblemTypes.SubmissionNotFound);
        (await reader.GetFromJsonAsync<JsonArray>(Ops + $"submissions?q={submissionId}"))!.Should().BeEmpty();
        (await reader.GetFromJsonAsync<JsonArray>(Ops + $"submissions?q={outcome.CaseId}"))!.Should().BeEmpty();

        var dashboard = await reader.GetFromJsonAsync<JsonObject>(Ops + "dashboard");
        dashboard!["deliveriesPerMunicipality"]!.AsArray().Select(x => x!["key"]!.GetValue<string>()).Should().NotContain(HubFixture.Darmstadt);
        using var everyone = hub.Operations(AccessHubFixture.ReaderKey);
        var all = await everyone.GetFromJsonAsync<JsonObject>(Ops + "dashboard");
        all!["deliveriesPerMunicipality"]!.AsArray().Select(x => x!["key"]!.GetValue<string>()).Should().Contain(HubFixture.Darmstadt);
        (await everyone.GetFromJsonAsync<JsonArray>(Ops + $"submissions?q={submissionId}"))!.Should().ContainSingle();
    }

    [Fact]
    public async Task An_admin_of_A_sees_only_their_own_audit_entries_not_those_of_admins_for_all_municipalities()
    {
        var (ofMessage, daMessage, _) = await SeedFailuresAsync();
        using var everywhere = hub.Operations(AccessHubFixture.AdminKey);
        using var admin = hub.Operations(AccessHubFixture.OffenbachAdminKey);
        // Each view of a message in clear is audited with the message's id: the global admin's names B's message.
        (await everywhere.GetAsync(Ops + $"failed-messages/{daMessage}")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await admin.GetAsync(Ops + $"failed-messages/{ofMessage}")).StatusCode.Should().Be(HttpStatusCode.OK);

        var seen = await admin.GetFromJsonAsync<JsonObject>(Ops + "audit?limit=500");
        var entries = seen!["items"]!.AsArray();
        entries.Select(e => e!["actor"]!.GetValue<string>()).Distinct().Should().Equal("of-admin");
        entries.Select(e => e!["subject"]!.GetValue<string>()).Should().Contain($"failed-message {ofMessage}").And.NotContain($"failed-message {daMessage}");
        (await admin.GetFromJsonAsync<JsonObject>(Ops + "audit?actor=ops-admin"))!["total"]!.GetValue<int>().Should().Be(0);
        // An admin for all municipalities sees everyone's.
        var all = await everywhere.GetFromJsonAsync<JsonObject>(Ops + "audit?limit=500");
        all!["items"]!.AsArray().Select(e => e!["actor"]!.GetValue<string>()).Should().Contain("of-admin").And.Contain("ops-admin");
    }

    // ----- operators limited to A: municipalities, smoke tests, destination keys -----

    [Fact]
    public async Task An_operator_of_A_cannot_show_change_disable_or_roll_back_municipality_B()
    {
        using var reader = hub.Operations(AccessHubFixture.OffenbachReaderKey);
        using var admin = hub.Operations(AccessHubFixture.OffenbachAdminKey);
        (await reader.GetFromJsonAsync<JsonArray>(Ops + "municipalities"))!.Select(m => m!["ars"]!.GetValue<string>()).Should().Equal(HubFixture.Offenbach);

        // B exists, 069999999999 does not: the same refusal for both.
        foreach (var ars in new[] { HubFixture.Darmstadt, "069999999999" })
        {
            await ExpectProblemAsync(await reader.GetAsync(Ops + $"municipalities/{ars}"), HttpStatusCode.Forbidden, ProblemTypes.OperatorForbidden);
            await ExpectProblemAsync(await reader.GetAsync(Ops + $"municipalities/{ars}/versions/1"), HttpStatusCode.Forbidden, ProblemTypes.OperatorForbidden);
            await ExpectProblemAsync(await admin.PostAsJsonAsync(Ops + $"municipalities/{ars}/disable", new { reason = "isolation test" }),
                HttpStatusCode.Forbidden, ProblemTypes.OperatorForbidden);
            await ExpectProblemAsync(await admin.PostAsync(Ops + $"municipalities/{ars}/enable", null), HttpStatusCode.Forbidden, ProblemTypes.OperatorForbidden);
            await ExpectProblemAsync(await admin.PostAsync(Ops + $"municipalities/{ars}/rollback", null), HttpStatusCode.Forbidden, ProblemTypes.OperatorForbidden);
        }
        var file = new { name = "darmstadt.yaml", content = OnboardingHubFixture.MunicipalityFile(HubFixture.Darmstadt, "Wissenschaftsstadt Darmstadt",
            (OnboardingHubFixture.Sozialhilfe, Guid.NewGuid(), "prosoz")) };
        await ExpectProblemAsync(await reader.PostAsJsonAsync(Ops + "municipalities/plan", file), HttpStatusCode.Forbidden, ProblemTypes.OperatorForbidden);
        await ExpectProblemAsync(await admin.PostAsJsonAsync(Ops + "municipalities/apply?dryRun=true", file), HttpStatusCode.Forbidden, ProblemTypes.OperatorForbidden);
        await ExpectProblemAsync(await admin.PostAsJsonAsync(Ops + "municipalities/apply-batch?dryRun=true", new { files = new[] { file } }),
            HttpStatusCode.Forbidden, ProblemTypes.OperatorForbidden);

        hub.Factory.Services.GetRequiredService<TenantDirectory>().IsDisabled(HubFixture.Darmstadt).Should().BeFalse();
        (await reader.GetAsync(Ops + $"municipalities/{HubFixture.Offenbach}")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task An_operator_of_A_cannot_start_or_read_B_s_smoke_tests_nor_see_or_rotate_B_s_destination_keys()
    {
        using var reader = hub.Operations(AccessHubFixture.OffenbachReaderKey);
        using var @operator = hub.Operations(AccessHubFixture.OffenbachOperatorKey);
        using var admin = hub.Operations(AccessHubFixture.OffenbachAdminKey);
        foreach (var ars in new[] { HubFixture.Darmstadt, "069999999999" })
        {
            await ExpectProblemAsync(await @operator.PostAsync(Ops + $"municipalities/{ars}/smoke-tests", null), HttpStatusCode.NotFound, ProblemTypes.SmokeTestMunicipalityUnknown);
            await ExpectProblemAsync(await reader.GetAsync(Ops + $"municipalities/{ars}/smoke-tests"), HttpStatusCode.NotFound, ProblemTypes.SmokeTestMunicipalityUnknown);
            await ExpectProblemAsync(await reader.GetAsync(Ops + $"municipalities/{ars}/smoke-tests/{Guid.NewGuid()}"), HttpStatusCode.NotFound, ProblemTypes.SmokeTestMunicipalityUnknown);
        }
        (await hub.InLedgerAsync(db => db.SmokeTests.CountAsync(r => r.Ars == HubFixture.Darmstadt))).Should().Be(0);

        var keys = Ops + $"municipalities/{HubFixture.Darmstadt}/destinations/{HubFixture.DarmstadtWohngeld}/keys";
        await ExpectProblemAsync(await reader.GetAsync(keys), HttpStatusCode.Forbidden, ProblemTypes.OperatorForbidden);
        await ExpectProblemAsync(await admin.PostAsync(keys, null), HttpStatusCode.Forbidden, ProblemTypes.OperatorForbidden);
        await ExpectProblemAsync(await admin.PostAsync(keys + "/some-kid/retire", null), HttpStatusCode.Forbidden, ProblemTypes.OperatorForbidden);
        // B's destination named under A's own ARS is not A's.
        await ExpectProblemAsync(await admin.PostAsync(Ops + $"municipalities/{HubFixture.Offenbach}/destinations/{HubFixture.DarmstadtWohngeld}/keys", null),
            HttpStatusCode.NotFound, ProblemTypes.DestinationNotFound);
        using var everyone = hub.Operations(AccessHubFixture.ReaderKey);
        (await everyone.GetFromJsonAsync<JsonObject>(keys))!["keys"]!.AsArray().Should().ContainSingle("B's key was not rotated");
        (await reader.GetAsync(Ops + $"municipalities/{HubFixture.Offenbach}/destinations/{HubFixture.OffenbachWohngeld}/keys")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    // ----- the console -----

    [Fact]
    public async Task The_console_shows_an_operator_of_A_nothing_of_B()
    {
        var (ofMessage, daMessage, daBatch) = await SeedFailuresAsync();
        var outcome = await hub.Sender(AccessHubFixture.DarmstadtClientId)
            .SubmitAsync(ApplicationFactory.Wohngeld(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 817), HubFixture.DarmstadtWohngeld);
        using var session = new ConsoleSession(hub.BaseAddress);
        (await session.LoginAsync(AccessHubFixture.OffenbachOperatorKey)).StatusCode.Should().Be(HttpStatusCode.Redirect);

        (await session.PageAsync($"/ops/failed/{daMessage}")).Status.Should().Be(HttpStatusCode.NotFound);
        (await session.PageAsync($"/ops/batches/{daBatch}")).Status.Should().Be(HttpStatusCode.NotFound);
        (await session.PageAsync($"/ops/submissions/{outcome.SubmissionId}")).Status.Should().Be(HttpStatusCode.NotFound);
        (await session.PageAsync($"/ops/municipalities/{HubFixture.Darmstadt}")).Status.Should().Be(HttpStatusCode.NotFound);
        var (_, group) = await session.PageAsync($"/ops/failed/group?by=municipality&key={HubFixture.Darmstadt}");
        group.Should().NotContain(daMessage.ToString());
        var (_, search) = await session.PageAsync($"/ops/submissions?q={outcome.SubmissionId}");
        search.Should().NotContain($"/ops/submissions/{outcome.SubmissionId}");
        var (_, municipalities) = await session.PageAsync("/ops/municipalities");
        municipalities.Should().Contain(HubFixture.Offenbach).And.NotContain(HubFixture.Darmstadt);
        // Form posts naming B's message or B's group change nothing.
        using (var post = await session.PostAsync($"/ops/failed/{ofMessage}", "/ops/failed/actions", [new("action", "archive"), new("id", daMessage.ToString())]))
            post.StatusCode.Should().Be(HttpStatusCode.Redirect);
        using (var post = await session.PostAsync($"/ops/failed/{ofMessage}", "/ops/failed/actions",
                   [new("action", "archive"), new("by", "municipality"), new("key", HubFixture.Darmstadt)]))
            post.StatusCode.Should().Be(HttpStatusCode.Redirect);
        (await hub.InLedgerAsync(db => db.FailedMessages.AsNoTracking().SingleAsync(f => f.Id == daMessage))).Status.Should().Be(FailedMessageStatus.Unresolved);
        (await session.PageAsync($"/ops/failed/{ofMessage}")).Status.Should().Be(HttpStatusCode.OK, "A's own message is shown (the test could fail)");
    }

    // ----- helpers -----

    /// <summary>Seeds an unresolved failed delivery of A and of B and a completed retry batch by an operator for all municipalities.</summary>
    private Task<(Guid Offenbach, Guid Darmstadt, Guid DarmstadtBatch)> SeedFailuresAsync() => hub.InLedgerAsync(async db =>
    {
        var now = DateTimeOffset.UtcNow;
        FailedMessage Failure(string ars) => new()
        {
            Id = Guid.NewGuid(), MessageId = Guid.NewGuid(), Source = "hub", MessageType = "DeliveryRequested", Endpoint = "submission-delivery",
            Ars = ars, Target = "prosoz", SubmissionId = Guid.NewGuid(), DeliveryId = Guid.NewGuid(),
            ExceptionType = typeof(PermanentDeliveryException).FullName!, ExceptionMessage = "400 from the procedure", Fingerprint = "isolation-" + ars,
            Body = "{}", Headers = "{}", FirstFailedAt = now, LastFailedAt = now, FailureCount = 1, Status = FailedMessageStatus.Unresolved, UpdatedAt = now,
        };
        var (of, da) = (Failure(HubFixture.Offenbach), Failure(HubFixture.Darmstadt));
        var columns = hub.Factory.Services.GetRequiredService<global::IntegrationHub.Security.AtRest.FailedMessageColumns>();
        await columns.ProtectAsync(of, default);
        await columns.ProtectAsync(da, default);
        var batch = new RetryBatch
        {
            Id = Guid.NewGuid(), CreatedAt = now, UpdatedAt = now, CompletedAt = now, RequestedBy = "ops-operator",
            Selection = $"message {da.Id}", Status = RetryBatchStatus.Completed,
        };
        db.FailedMessages.AddRange(of, da);
        db.RetryBatches.Add(batch);
        await db.SaveChangesAsync();
        return (of.Id, da.Id, batch.Id);
    });

    private static JsonObject Lookup(string municipality, string idNr, string? callbackUrl = null)
    {
        var body = new JsonObject
        {
            ["evidenceType"] = "MELDEDATEN",
            ["purpose"] = "Antrag auf Wohngeld WG-2026-0811",
            ["legalBasis"] = "§ 23 Abs. 3 WoGG",
            ["person"] = new JsonObject { ["idNr"] = idNr },
            ["municipality"] = municipality,
        };
        if (callbackUrl is not null) body["callbackUrl"] = callbackUrl;
        return body;
    }

    private static ByteArrayContent Jose()
    {
        var content = new ByteArrayContent(Encoding.ASCII.GetBytes("eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/jose");
        return content;
    }

    private static byte[] Report(Guid submissionId, string aktenzeichen) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["submissionId"] = submissionId.ToString(),
            ["aktenzeichen"] = aktenzeichen,
            ["sequence"] = 1,
            ["status"] = "PROCESSING",
            ["occurredAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        }.ToJsonString());

    /// <summary>Posts a signed report; returns "200" or the problem type.</summary>
    private async Task<string> PostReportAsync(string target, byte[] body, string secret)
    {
        using var client = hub.Factory.CreateClient();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/procedures/{target}/reports") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("callback-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("callback-authentication", ProsozCaseReports.Sign(secret, timestamp, body));
        using var response = await client.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.OK) return "200";
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["type"]!.GetValue<string>();
    }

    /// <summary>
    /// The answer for B's id is the problem expected, and the same (status, type, title, detail but for the id) as for
    /// an id that exists nowhere: it does not tell that B's resource exists.
    /// </summary>
    private static async Task ExpectSameAsUnknownAsync(Func<string, Task<HttpResponseMessage>> call, string id, HttpStatusCode status, ProblemType type)
    {
        var forB = await ExpectProblemAsync(await call(id), status, type);
        var forNothing = await ExpectProblemAsync(await call(Unknown), status, type);
        forB["title"]!.GetValue<string>().Should().Be(forNothing["title"]!.GetValue<string>());
        (forB["detail"]?.GetValue<string>() ?? "").Replace(id, "{id}").Should().Be((forNothing["detail"]?.GetValue<string>() ?? "").Replace(Unknown, "{id}"));
    }

    private static async Task<JsonObject> ExpectProblemAsync(HttpResponseMessage response, HttpStatusCode status, ProblemType type)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, text);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json", text);
        var problem = JsonNode.Parse(text)!.AsObject();
        problem["type"]!.GetValue<string>().Should().Be(type.Uri, text);
        return problem;
    }
}
