using System.Text;
using IntegrationHub.CaseStatus;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Operations.Edits;
using IntegrationHub.Operations.Retention;
using IntegrationHub.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// Retention: old resolved and archived failed messages go with their history and edits; the personal data of finished
/// submissions goes after their municipality's period (Offenbach: the hub-wide 180 days, Darmstadt: its own 400),
/// while the ledger row, history, case events and the access protocol stay. Anything in progress is left alone.
/// </summary>
[Collection(OperationsHubCollection.Name)]
public sealed class RetentionTests(OperationsHubFixture hub)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task Resolved_and_archived_failed_messages_past_the_period_go_with_their_history_and_edits_the_rest_stay()
    {
        var old = Now.AddDays(-40);
        var resolved = await hub.SeedFailedMessageAsync(null, status: FailedMessageStatus.Resolved, updatedAt: old);
        var archived = await hub.SeedFailedMessageAsync(null, status: FailedMessageStatus.Archived, updatedAt: old);
        var unresolved = await hub.SeedFailedMessageAsync(null, status: FailedMessageStatus.Unresolved, updatedAt: old);
        var retrying = await hub.SeedFailedMessageAsync(null, status: FailedMessageStatus.RetryIssued, updatedAt: old);
        var recent = await hub.SeedFailedMessageAsync(null, status: FailedMessageStatus.Resolved, updatedAt: Now.AddDays(-20));
        var all = new[] { resolved, archived, unresolved, retrying, recent };
        var ids = all.Select(m => m.Id).ToList();
        // Each with a history line; the resolved one also with an edit whose protected XML lies beside a submission.
        var submissionId = Guid.NewGuid();
        var editId = Guid.NewGuid();
        var editBlob = EditedApplicationData.BlobName(submissionId, editId);
        await hub.Blobs.PutAsync(editBlob, new MemoryStream([1, 2, 3]));
        await hub.InLedgerAsync(db =>
        {
            foreach (var m in all) db.FailedMessageEvents.Add(new FailedMessageEvent { FailedMessageId = m.Id, At = old, Action = "failed" });
            db.MessageEdits.Add(new MessageEdit
            {
                Id = editId, FailedMessageId = resolved.Id, SubmissionId = submissionId, ProposedBy = "ops-admin", ProposedAt = old, Reason = "r",
                EditedDataBlob = editBlob, EditedDataSha512 = new string('0', 128), Status = MessageEditStatus.Rejected,
            });
            return db.SaveChangesAsync();
        });

        // The hub's own scheduled run (StartNow) may get to them first; either way the outcome below must hold.
        await RunRetentionAsync();

        var left = await hub.InLedgerAsync(db => db.FailedMessages.AsNoTracking().Where(f => ids.Contains(f.Id)).Select(f => f.Id).ToListAsync());
        left.Should().BeEquivalentTo([unresolved.Id, retrying.Id, recent.Id]);
        var events = await hub.InLedgerAsync(db => db.FailedMessageEvents.AsNoTracking()
            .Where(e => ids.Contains(e.FailedMessageId)).Select(e => e.FailedMessageId).ToListAsync());
        events.Should().BeEquivalentTo([unresolved.Id, retrying.Id, recent.Id]);
        (await hub.InLedgerAsync(db => db.MessageEdits.AnyAsync(e => e.Id == editId))).Should().BeFalse();
        (await hub.Blobs.ExistsAsync(editBlob)).Should().BeFalse();
    }

    [Fact]
    public async Task An_approved_data_edit_a_submission_still_delivers_from_outlives_its_failed_message()
    {
        var (submission, application) = await hub.SeedSubmissionAsync(seed: 701);
        var failed = await hub.SeedFailedMessageAsync(submission.Id);
        var edit = await hub.ProposeAsync(OperationsHubFixture.Admin, failed.Id, OperationsHubFixture.WithFamilienname(application.Xml, "Bleibt"));
        await hub.ApproveAsync(OperationsHubFixture.Approver, edit.Id);
        // The retry succeeded long ago and the message was resolved; the case itself is still running.
        await hub.InLedgerAsync(db => db.FailedMessages.Where(f => f.Id == failed.Id).ExecuteUpdateAsync(u =>
            u.SetProperty(f => f.Status, FailedMessageStatus.Resolved).SetProperty(f => f.UpdatedAt, Now.AddDays(-40))));

        await RunRetentionAsync();

        (await hub.InLedgerAsync(db => db.FailedMessages.AnyAsync(f => f.Id == failed.Id))).Should().BeFalse();
        (await hub.InLedgerAsync(db => db.MessageEdits.AnyAsync(e => e.Id == edit.Id))).Should().BeTrue();
        var call = await hub.DeliveryCallAsync(submission.Id);
        OperationsHubFixture.Familienname((await call.ReadSubmissionAsync(default)).Data).Should().Be("Bleibt");
    }

    [Fact]
    public async Task Personal_data_of_finished_submissions_goes_after_their_municipalitys_period_metadata_history_and_protocol_stay()
    {
        var old = Now.AddDays(-200);
        var completed = await SeedFinishedAsync(HubFixture.Offenbach, old);
        var rejected = await SeedFinishedAsync(HubFixture.Offenbach, old, rejected: true);
        var darmstadt = await SeedFinishedAsync(HubFixture.Darmstadt, old);
        var recent = await SeedFinishedAsync(HubFixture.Offenbach, Now.AddDays(-10));
        var inProgress = await SeedFinishedAsync(HubFixture.Offenbach, old, citizenStatus: CitizenStatus.Processing);
        var pendingCall = await SeedFinishedAsync(HubFixture.Offenbach, old, pendingDelivery: true);
        var withFailure = await SeedFinishedAsync(HubFixture.Offenbach, old);
        await hub.SeedFailedMessageAsync(withFailure, updatedAt: old);
        var protocolRows = await hub.InLedgerAsync(db => db.AccessProtocol.CountAsync());

        // The hub's own scheduled run (StartNow) may get to them first; either way the outcome below must hold.
        await RunRetentionAsync();

        foreach (var id in new[] { completed, rejected })
        {
            (await BlobsOfAsync(id)).Should().BeEmpty("every blob of a finished submission goes");
            var row = await hub.InLedgerAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == id));
            row.PayloadsDeletedAt.Should().NotBeNull();
            row.CaseId.Should().NotBeEmpty();
            row.LeikaKey.Should().NotBeEmpty();
            var history = await hub.InLedgerAsync(db => db.History.AsNoTracking().Where(h => h.SubmissionId == id).OrderBy(h => h.Id).ToListAsync());
            history.Select(h => h.Step).Should().Equal(HistorySteps.Accepted, RetentionJob.HistoryStep);
            history[^1].Detail.Should().Be("5 blobs");
            (await hub.InLedgerAsync(db => db.CaseEvents.CountAsync(e => e.SubmissionId == id))).Should().Be(1);
            var report = await hub.InLedgerAsync(db => db.StatusReports.AsNoTracking().SingleAsync(r => r.SubmissionId == id));
            report.DocumentBlob.Should().BeNull();
            report.DocumentName.Should().BeNull();
            report.Status.Should().Be(CitizenStatus.Completed);
            var delivery = await hub.InLedgerAsync(db => db.Deliveries.AsNoTracking().SingleAsync(d => d.SubmissionId == id));
            var payload = DeliveryPayload.Parse(delivery.Payload);
            payload.DocumentBlob.Should().BeNull();
            payload.DocumentKind.Should().Be(DocumentKinds.Bescheid);
            payload.Aktenzeichen.Should().Be("WG-2026-000001");
            var edit = await hub.InLedgerAsync(db => db.MessageEdits.AsNoTracking().SingleAsync(e => e.SubmissionId == id));
            edit.EditedDataBlob.Should().BeNull();
            edit.EditedDataSha512.Should().NotBeNull("the hash stays as a record of what was delivered");
        }
        foreach (var id in new[] { darmstadt, recent, inProgress, pendingCall, withFailure })
        {
            (await BlobsOfAsync(id)).Should().HaveCount(5, "submission {0} is within its period, in progress or not settled", id);
            (await hub.InLedgerAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == id))).PayloadsDeletedAt.Should().BeNull();
            (await hub.InLedgerAsync(db => db.StatusReports.AsNoTracking().SingleAsync(r => r.SubmissionId == id))).DocumentBlob.Should().NotBeNull();
        }
        (await hub.InLedgerAsync(db => db.AccessProtocol.CountAsync())).Should().Be(protocolRows);

        // A second run finds nothing more to do for them.
        await RunRetentionAsync();
        (await hub.InLedgerAsync(db => db.History.CountAsync(h => h.SubmissionId == completed && h.Step == RetentionJob.HistoryStep))).Should().Be(1);
    }

    [Fact]
    public async Task Darmstadts_longer_period_runs_out_too()
    {
        var expired = await SeedFinishedAsync(HubFixture.Darmstadt, Now.AddDays(-401));

        await RunRetentionAsync();

        (await BlobsOfAsync(expired)).Should().BeEmpty();
    }

    [Fact]
    public async Task The_job_is_on_the_hubs_scheduler_once_per_interval_never_twice_at_once()
    {
        var scheduler = await hub.Factory.Services.GetRequiredService<ISchedulerFactory>().GetScheduler();

        var job = await scheduler.GetJobDetail(new JobKey(RetentionJob.Name));
        job.Should().NotBeNull();
        job!.JobType.Type.Should().Be(typeof(RetentionJob));
        job.ConcurrentExecutionDisallowed.Should().BeTrue();
        var trigger = (await scheduler.GetTrigger(new TriggerKey(RetentionJob.Name))).Should().BeAssignableTo<ISimpleTrigger>().Subject;
        trigger.RepeatInterval.Should().Be(TimeSpan.FromHours(1), "Hub:Operations:Retention:Interval of appsettings.json");
    }

    private async Task<RetentionResult> RunRetentionAsync()
    {
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        return await ActivatorUtilities.CreateInstance<RetentionJob>(scope.ServiceProvider).RunAsync(CancellationToken.None);
    }

    /// <summary>
    /// A settled submission last touched at <paramref name="at"/> with five blobs (metadata, data, attachment, a Bescheid a
    /// procedure sent, an edit), the report and the postbox call that carry the Bescheid, an edit, a case event, history.
    /// </summary>
    private async Task<Guid> SeedFinishedAsync(string ars, DateTimeOffset at, bool rejected = false, string? citizenStatus = CitizenStatus.Completed,
        bool pendingDelivery = false)
    {
        var id = Guid.NewGuid();
        var attachment = Guid.NewGuid();
        var document = SubmissionBlobs.Document(id, "marius", 2);
        var editId = Guid.NewGuid();
        foreach (var blob in new[] { SubmissionBlobs.Metadata(id), SubmissionBlobs.Data(id), SubmissionBlobs.Attachment(id, attachment), document,
                     EditedApplicationData.BlobName(id, editId) })
            await hub.Blobs.PutAsync(blob, new MemoryStream(Encoding.ASCII.GetBytes("personal data of " + id)));

        await hub.InLedgerAsync(db =>
        {
            db.Submissions.Add(new Submission
            {
                Id = id, CaseId = Guid.NewGuid(), DestinationId = ars == HubFixture.Offenbach ? HubFixture.OffenbachWohngeld : HubFixture.DarmstadtWohngeld,
                Ars = ars, SenderClientId = HubFixture.ClientId, LeikaKey = "99107004017000", ServiceName = "Wohngeld",
                Status = rejected ? SubmissionStatus.Rejected : SubmissionStatus.Accepted, CitizenStatus = rejected ? null : citizenStatus,
                AnnouncedAttachments = attachment.ToString(), CreatedAt = at, SubmittedAt = at, DecidedAt = at, RoutedAt = at, UpdatedAt = at,
            });
            db.History.Add(new SubmissionHistoryEntry { SubmissionId = id, At = at, Step = HistorySteps.Accepted });
            db.CaseEvents.Add(new CaseEvent { CaseId = Guid.NewGuid(), SubmissionId = id, EventUri = "urn:test:accept", Token = "eyJ.test", IssuedAt = at });
            db.StatusReports.Add(new StatusReport
            {
                SubmissionId = id, Source = "marius", Sequence = 2, Status = CitizenStatus.Completed, OccurredAt = at, ReceivedAt = at, Applied = true,
                DocumentBlob = document, DocumentName = "Bescheid Mustermann.pdf", DocumentMimeType = "application/pdf",
            });
            db.Deliveries.Add(new TargetDelivery
            {
                Id = Guid.NewGuid(), SubmissionId = id, Ars = ars, Target = "bundid", Step = "postbox:COMPLETED-2", Sequence = 1,
                Payload = new DeliveryPayload
                {
                    Status = CitizenStatus.Completed, DocumentKind = DocumentKinds.Bescheid, DocumentBlob = document, DocumentName = "Bescheid Mustermann.pdf",
                    Aktenzeichen = "WG-2026-000001",
                }.ToJson(),
                Status = pendingDelivery ? DeliveryStatus.Pending : DeliveryStatus.Delivered,
                IdempotencyKey = TargetDelivery.IdempotencyKeyFor(id, "bundid", "postbox:COMPLETED-2"),
                CreatedAt = at, UpdatedAt = at,
                // A pending call far in the future: the ledger sweep of this running hub must not pick it up.
                NextAttemptAt = pendingDelivery ? Now.AddDays(30) : null,
                DeliveredAt = pendingDelivery ? null : at,
            });
            db.MessageEdits.Add(new MessageEdit
            {
                Id = editId, FailedMessageId = Guid.NewGuid(), SubmissionId = id, ProposedBy = "ops-admin", ProposedAt = at, Reason = "r",
                EditedDataBlob = EditedApplicationData.BlobName(id, editId), EditedDataSha512 = new string('0', 128), Status = MessageEditStatus.Rejected,
            });
            return db.SaveChangesAsync();
        });
        return id;
    }

    private async Task<List<string>> BlobsOfAsync(Guid submissionId)
    {
        var names = new List<string>();
        await foreach (var name in hub.Blobs.ListAsync(SubmissionBlobs.Prefix(submissionId))) names.Add(name);
        return names;
    }
}
