using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using IntegrationHub.CaseStatus;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Prosoz;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The Prosoz-like procedure keeps a chronicle of each case and reports status changes and the Bescheid back to the hub
/// by authenticated callback; the hub keeps one timeline per submission and never lets the citizen's status go back.
/// </summary>
[Collection(HubCollection.Name)]
public sealed class ProcedureReportTests(HubFixture hub) : IAsyncLifetime
{
    private ProsozCaseReports Reports => hub.Simulators.Prosoz.Reports;

    public Task InitializeAsync()
    {
        Reports.DuplicateCallbacks = false;
        Reports.OutOfOrderCallbacks = false;
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => InitializeAsync();

    [Fact]
    public async Task Sozialhilfe_case_runs_from_receipt_to_Bescheid_with_one_timeline()
    {
        var (submissionId, aktenzeichen) = await SubmitSozialhilfeAsync(seed: 401);

        await Reports.ReportAsync(aktenzeichen, "ACTION_REQUIRED", deadline: DateTimeOffset.UtcNow.AddDays(14));
        await Reports.DecideAsync(aktenzeichen);

        var timeline = await hub.WaitForCitizenStatusAsync(submissionId, CitizenStatus.Completed);
        timeline.CitizenTrail.Should().Equal(CitizenStatus.Submitted, CitizenStatus.Received, CitizenStatus.ActionRequired, CitizenStatus.Processing,
            CitizenStatus.Completed);
        timeline.Entries.Should().Contain(e => e.Step == "status:RECEIVED" && e.Detail == aktenzeichen && e.Target == "prosoz");
        Reports.Chronicle(aktenzeichen).Select(e => e.Status).Should().Equal("RECEIVED", "ACTION_REQUIRED", "PROCESSING", "COMPLETED");
        Reports.Chronicle(aktenzeichen).Skip(1).Should().OnlyContain(e => e.CallbackStatus == 200);

        var reports = await hub.InLedgerAsync(db => db.StatusReports.AsNoTracking().Where(r => r.SubmissionId == submissionId).OrderBy(r => r.Sequence).ToListAsync());
        reports.Select(r => (r.Sequence, r.Status, r.Applied)).Should().Equal((1, "ACTION_REQUIRED", true), (2, "PROCESSING", true), (3, "COMPLETED", true));
        reports[0].Deadline.Should().NotBeNull();
        (await hub.DocumentNameAsync(reports[2])).Should().Be($"Bescheid-{aktenzeichen}.pdf");
        reports[2].DocumentBlob.Should().NotBeNull("the Bescheid is kept for the postbox and the DMS");

        var log = await hub.Sender().GetEventLogAsync(await CaseIdAsync(submissionId));
        log["eventLog"]!.AsArray().Should().HaveCountGreaterThanOrEqualTo(2 + 5, "submit, accept and one event per kind of milestone");
    }

    [Fact]
    public async Task Duplicate_callbacks_are_recorded_once_and_change_nothing()
    {
        var (submissionId, aktenzeichen) = await SubmitSozialhilfeAsync(seed: 402);
        Reports.DuplicateCallbacks = true;

        await Reports.DecideAsync(aktenzeichen);

        var timeline = await hub.WaitForCitizenStatusAsync(submissionId, CitizenStatus.Completed);
        timeline.CitizenTrail.Should().Equal(CitizenStatus.Submitted, CitizenStatus.Received, CitizenStatus.Processing, CitizenStatus.Completed);
        (await hub.InLedgerAsync(db => db.StatusReports.CountAsync(r => r.SubmissionId == submissionId))).Should().Be(2);
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(1);
    }

    [Fact]
    public async Task An_older_report_arriving_after_a_newer_one_is_kept_but_does_not_turn_the_status_back()
    {
        var (submissionId, aktenzeichen) = await SubmitSozialhilfeAsync(seed: 403);
        Reports.OutOfOrderCallbacks = true;

        await Reports.DecideAsync(aktenzeichen); // PROCESSING is held back and arrives after COMPLETED

        var timeline = await hub.WaitForCitizenStatusAsync(submissionId, CitizenStatus.Completed);
        timeline.CitizenTrail.Should().Equal(CitizenStatus.Submitted, CitizenStatus.Received, CitizenStatus.Completed);
        timeline.Entries.Should().Contain(e => e.Step == HistorySteps.ReportOutdated && e.Target == "prosoz");
        var reports = await hub.InLedgerAsync(db => db.StatusReports.AsNoTracking().Where(r => r.SubmissionId == submissionId).OrderBy(r => r.Sequence).ToListAsync());
        reports.Select(r => (r.Status, r.Applied)).Should().Equal(("PROCESSING", false), ("COMPLETED", true));
    }

    [Fact]
    public async Task Callbacks_with_a_wrong_secret_an_old_timestamp_or_replayed_are_refused_and_change_nothing()
    {
        var (submissionId, aktenzeichen) = await SubmitSozialhilfeAsync(seed: 404);
        var body = Report(submissionId, aktenzeichen, 1, "PROCESSING");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        (await PostAsync(body, "wrong-secret", now)).Should().Be("urn:integrationhub:problem:callback-unauthenticated");
        (await PostAsync(body, hub.ProsozCallbackSecret, now - 6 * 60)).Should().Be("urn:integrationhub:problem:callback-unauthenticated");
        (await PostAsync(body, hub.ProsozCallbackSecret, now, signature: "")).Should().Be("urn:integrationhub:problem:callback-unauthenticated");
        (await PostAsync(body, hub.ProsozCallbackSecret, now)).Should().Be("200");
        (await PostAsync(body, hub.ProsozCallbackSecret, now)).Should().Be("urn:integrationhub:problem:callback-unauthenticated", "the same signed callback again is a replay");

        (await hub.InLedgerAsync(db => db.StatusReports.CountAsync(r => r.SubmissionId == submissionId))).Should().Be(1);
    }

    [Fact]
    public async Task Reports_about_unknown_cases_or_with_invalid_content_get_specific_problems()
    {
        var (submissionId, aktenzeichen) = await SubmitSozialhilfeAsync(seed: 405);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        (await PostAsync(Report(submissionId, "50.21-SGB12-1999-999999", 1, "PROCESSING"), hub.ProsozCallbackSecret, now))
            .Should().Be("urn:integrationhub:problem:unknown-case");
        (await PostAsync(Report(Guid.NewGuid(), aktenzeichen, 1, "PROCESSING"), hub.ProsozCallbackSecret, now))
            .Should().Be("urn:integrationhub:problem:unknown-case");
        (await PostAsync(Report(submissionId, aktenzeichen, 1, "SUBMITTED"), hub.ProsozCallbackSecret, now))
            .Should().Be("urn:integrationhub:problem:report-invalid", "the hub sets SUBMITTED itself");
        (await PostAsync(Report(submissionId, aktenzeichen, 1, "ACTION_REQUIRED"), hub.ProsozCallbackSecret, now))
            .Should().Be("urn:integrationhub:problem:report-invalid", "a Nachforderung needs its deadline");
        (await PostAsync(Report(submissionId, aktenzeichen, 1, "COMPLETED"), hub.ProsozCallbackSecret, now))
            .Should().Be("urn:integrationhub:problem:report-invalid", "a decision comes with its Bescheid");
        (await PostAsync(Encoding.UTF8.GetBytes("{not json"), hub.ProsozCallbackSecret, now))
            .Should().Be("urn:integrationhub:problem:report-invalid");

        (await hub.InLedgerAsync(db => db.StatusReports.CountAsync(r => r.SubmissionId == submissionId))).Should().Be(0);
        (await hub.TimelineAsync(submissionId)).CitizenStatus.Should().Be(CitizenStatus.Received);
    }

    private async Task<(Guid SubmissionId, string Aktenzeichen)> SubmitSozialhilfeAsync(int seed)
    {
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: seed, withAttachment: false);
        var outcome = await hub.Sender().SubmitAsync(application, HubFixture.OffenbachSozialhilfe);
        var submissionId = outcome.SubmissionId!.Value;
        await hub.WaitForCitizenStatusAsync(submissionId, CitizenStatus.Received);
        var aktenzeichen = await hub.InLedgerAsync(db => db.Deliveries.Where(d => d.SubmissionId == submissionId && d.Target == "prosoz")
            .Select(d => d.Aktenzeichen).SingleAsync());
        return (submissionId, aktenzeichen!);
    }

    private Task<Guid> CaseIdAsync(Guid submissionId) =>
        hub.InLedgerAsync(db => db.Submissions.Where(s => s.Id == submissionId).Select(s => s.CaseId).SingleAsync());

    private static byte[] Report(Guid submissionId, string aktenzeichen, int sequence, string status) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["submissionId"] = submissionId.ToString(),
            ["aktenzeichen"] = aktenzeichen,
            ["sequence"] = sequence,
            ["status"] = status,
            ["occurredAt"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        }.ToJsonString());

    /// <summary>Posts a report; returns "200" or the problem type.</summary>
    private async Task<string> PostAsync(byte[] body, string secret, long timestamp, string? signature = null)
    {
        using var client = hub.Factory.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/procedures/prosoz/reports") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("callback-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("callback-authentication", signature ?? ProsozCaseReports.Sign(secret, timestamp, body));
        using var response = await client.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.OK) return "200";
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return problem["type"]!.GetValue<string>();
    }
}
