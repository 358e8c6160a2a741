using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Operations.Access;
using IntegrationHub.Simulators.EfA;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The console's overview over the ledger (embedded SQLite, or PostgreSQL with HUB_E2E_PROFILE=servers): dashboard
/// figures after real submissions, the search by submission id, case id and Aktenzeichen, and the operator's scope.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleOverviewTests(ConsoleHubFixture hub)
{
    private async Task<T> OverviewAsync<T>(Func<IOperationsOverview, Task<T>> read)
    {
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<IOperationsOverview>());
    }

    private static readonly DateTimeOffset Epoch = DateTimeOffset.UtcNow.AddHours(-1);

    private Task<Dashboard> DashboardAsync(Operator who) => OverviewAsync(o => o.DashboardAsync(who, Epoch, DateTimeOffset.UtcNow.AddMinutes(1), default));

    private async Task<Guid> SubmitAsync(DemoApplication application, Guid destination, SubmissionStatus expected)
    {
        var submissionId = (await hub.Sender().SubmitAsync(application, destination)).SubmissionId!.Value;
        var status = await HubFixture.WaitForAsync(
            () => hub.InLedgerAsync(db => db.Submissions.Where(s => s.Id == submissionId).Select(s => s.Status).SingleAsync()), s => s == expected);
        status.Should().Be(expected);
        return submissionId;
    }

    private async Task<FailedMessage> RecordFailureAsync(string fingerprint, string ars, Guid? submissionId, FailedMessageStatus status)
    {
        var now = DateTimeOffset.UtcNow;
        var failure = new FailedMessage
        {
            Id = Guid.NewGuid(), MessageId = Guid.NewGuid(), Source = "hub", MessageType = "DeliveryRequested", Endpoint = "submission-delivery",
            Ars = ars, Target = "prosoz", SubmissionId = submissionId, ExceptionType = "System.Net.Http.HttpRequestException",
            ExceptionMessage = "503 for Erika Mustermann", Fingerprint = fingerprint, Body = "<antrag/>", FirstFailedAt = now, LastFailedAt = now,
            FailureCount = 1, Status = status, UpdatedAt = now,
        };
        // As the recorder stores it: the columns with personal data encrypted.
        await hub.Factory.Services.GetRequiredService<global::IntegrationHub.Security.AtRest.FailedMessageColumns>().ProtectAsync(failure, default);
        await hub.InLedgerAsync(async db =>
        {
            db.FailedMessages.Add(failure);
            return await db.SaveChangesAsync();
        });
        return failure;
    }

    [Fact]
    public async Task Dashboard_counts_submissions_outcomes_deliveries_and_failures_per_group_and_hour()
    {
        var admin = ConsoleHubFixture.Admin;
        var before = await DashboardAsync(admin);

        await SubmitAsync(ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 801), HubFixture.OffenbachWohngeld, SubmissionStatus.Accepted);
        var darmstadt = await SubmitAsync(ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 802), HubFixture.DarmstadtSozialhilfe, SubmissionStatus.Accepted);
        await SubmitAsync(ApplicationFactory.WohngeldSchemaInvalid(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 803), HubFixture.OffenbachWohngeld, SubmissionStatus.Rejected);
        await HubFixture.WaitForAsync(() => hub.InLedgerAsync(db => db.Deliveries.CountAsync(d => d.SubmissionId == darmstadt && d.Target == "prosoz")), n => n > 0);
        var outage = "fp-outage-" + Guid.NewGuid().ToString("N")[..8];
        var other = "fp-other-" + Guid.NewGuid().ToString("N")[..8];
        await RecordFailureAsync(outage, HubFixture.Darmstadt, darmstadt, FailedMessageStatus.Unresolved);
        await RecordFailureAsync(outage, HubFixture.Offenbach, null, FailedMessageStatus.Unresolved);
        await RecordFailureAsync(other, HubFixture.Offenbach, null, FailedMessageStatus.RetryIssued);

        var after = await DashboardAsync(admin);

        (after.SubmissionsPerHour.Sum(c => c.Count) - before.SubmissionsPerHour.Sum(c => c.Count)).Should().Be(3);
        after.SubmissionsPerHour.Should().OnlyContain(c => c.Hour.Minute == 0 && c.Hour.Second == 0 && c.Hour.Offset == TimeSpan.Zero);
        (after.Accepted - before.Accepted).Should().Be(2);
        (after.Rejected - before.Rejected).Should().Be(1);
        Count(after.DeliveriesPerTarget, "prosoz").Should().BeGreaterThan(Count(before.DeliveriesPerTarget, "prosoz"));
        Count(after.DeliveriesPerMunicipality, HubFixture.Darmstadt).Should().BeGreaterThan(Count(before.DeliveriesPerMunicipality, HubFixture.Darmstadt));
        Count(after.DeliveriesPerMunicipality, HubFixture.Offenbach).Should().BeGreaterThan(Count(before.DeliveriesPerMunicipality, HubFixture.Offenbach));
        after.FailuresPerGroupAndHour.Where(c => c.Key == outage).Sum(c => c.Count).Should().Be(2);
        after.FailuresPerGroupAndHour.Where(c => c.Key == other).Sum(c => c.Count).Should().Be(1);
        (after.UnresolvedFailures - before.UnresolvedFailures).Should().Be(2);
        (after.PendingRetries - before.PendingRetries).Should().Be(1);
    }

    [Fact]
    public async Task A_submission_is_found_by_its_id_its_case_id_and_its_Aktenzeichen_with_its_timeline_and_failures()
    {
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 811);
        var outcome = await hub.Sender().SubmitAsync(application, HubFixture.DarmstadtSozialhilfe);
        var submissionId = outcome.SubmissionId!.Value;
        var aktenzeichen = await HubFixture.WaitForAsync(
            () => hub.InLedgerAsync(db => db.Deliveries.Where(d => d.SubmissionId == submissionId && d.Aktenzeichen != null).Select(d => d.Aktenzeichen).FirstOrDefaultAsync()),
            a => a is not null);
        aktenzeichen.Should().NotBeNull("the Prosoz-like procedure answers the handover with its Aktenzeichen");
        var failure = await RecordFailureAsync("fp-search-" + Guid.NewGuid().ToString("N")[..8], HubFixture.Darmstadt, submissionId, FailedMessageStatus.Unresolved);

        foreach (var query in new[] { submissionId.ToString(), outcome.CaseId!.Value.ToString(), aktenzeichen! })
        {
            var matches = await OverviewAsync(o => o.FindSubmissionsAsync(ConsoleHubFixture.Reader, query, default));
            matches.Should().ContainSingle($"“{query}” names one submission").Which.Should().Match<SubmissionMatch>(m =>
                m.SubmissionId == submissionId && m.CaseId == outcome.CaseId && m.Ars == HubFixture.Darmstadt && m.Aktenzeichen.Contains(aktenzeichen!));
        }
        (await OverviewAsync(o => o.FindSubmissionsAsync(ConsoleHubFixture.Reader, "50.21-SGB12-0000-000000", default))).Should().BeEmpty();

        var view = await OverviewAsync(o => o.SubmissionAsync(ConsoleHubFixture.Reader, submissionId, default));
        view.Should().NotBeNull();
        view!.Timeline.Select(e => e.Step).Should().Contain([HistorySteps.Created, HistorySteps.Submitted, HistorySteps.Accepted]);
        view.Timeline.Should().Contain(e => e.Target == "prosoz" && e.Detail == aktenzeichen, "the handover's Aktenzeichen is part of the story");
        view.Failures.Should().ContainSingle().Which.Should().Match<FailedMessageSummary>(f =>
            f.Id == failure.Id && f.ExceptionMessage == SocialDataMask.Hidden, "a reader gets the exception message masked");
        var asAdmin = await OverviewAsync(o => o.SubmissionAsync(ConsoleHubFixture.Admin, submissionId, default));
        asAdmin!.Failures.Single().ExceptionMessage.Should().Be("503 for Erika Mustermann");
    }

    [Fact]
    public async Task An_operator_limited_to_Darmstadt_neither_finds_nor_counts_Offenbach()
    {
        var offenbach = await SubmitAsync(ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 821), HubFixture.OffenbachWohngeld, SubmissionStatus.Accepted);
        var darmstadt = await SubmitAsync(ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 822), HubFixture.DarmstadtSozialhilfe, SubmissionStatus.Accepted);
        var offenbachFailure = "fp-scope-of-" + Guid.NewGuid().ToString("N")[..8];
        var darmstadtFailure = "fp-scope-da-" + Guid.NewGuid().ToString("N")[..8];
        await RecordFailureAsync(offenbachFailure, HubFixture.Offenbach, offenbach, FailedMessageStatus.Unresolved);
        await RecordFailureAsync(darmstadtFailure, HubFixture.Darmstadt, darmstadt, FailedMessageStatus.Unresolved);
        var who = ConsoleHubFixture.DarmstadtReader;

        (await OverviewAsync(o => o.FindSubmissionsAsync(who, offenbach.ToString(), default))).Should().BeEmpty();
        (await OverviewAsync(o => o.SubmissionAsync(who, offenbach, default))).Should().BeNull();
        (await OverviewAsync(o => o.FindSubmissionsAsync(who, darmstadt.ToString(), default))).Should().ContainSingle();
        (await OverviewAsync(o => o.SubmissionAsync(who, darmstadt, default))).Should().NotBeNull();

        var dashboard = await DashboardAsync(who);
        dashboard.DeliveriesPerMunicipality.Select(c => c.Key).Should().OnlyContain(k => k == HubFixture.Darmstadt);
        dashboard.FailuresPerGroupAndHour.Select(c => c.Key).Should().Contain(darmstadtFailure).And.NotContain(offenbachFailure);
        var unscoped = await DashboardAsync(ConsoleHubFixture.Admin);
        unscoped.SubmissionsPerHour.Sum(c => c.Count).Should().BeGreaterThan(dashboard.SubmissionsPerHour.Sum(c => c.Count));
        unscoped.UnresolvedFailures.Should().BeGreaterThan(dashboard.UnresolvedFailures);
    }

    private static int Count(IReadOnlyList<CountByKey> counts, string key) => counts.FirstOrDefault(c => c.Key == key)?.Count ?? 0;
}
