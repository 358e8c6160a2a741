using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using IntegrationHub.Delivery;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Operations.Access;
using IntegrationHub.Operations.Edits;
using IntegrationHub.Problems;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The hub with edit and retry switched on, Darmstadt keeping personal data longer than the hub-wide period, and a
/// recording stand-in for the failed-message store's retries (the store is a part of its own).
/// </summary>
public sealed class OperationsHubFixture : HubFixture
{
    public static readonly Operator Reader = new("ops-reader", OperatorRole.Reader);
    public static readonly Operator Worker = new("ops-operator", OperatorRole.Operator);
    public static readonly Operator Admin = new("ops-admin", OperatorRole.Admin, Identity: "apikey:ops-admin");
    public static readonly Operator Approver = new("ops-approver", OperatorRole.Admin);
    public static readonly Operator SecondApprover = new("ops-approver-2", OperatorRole.Admin);
    public static readonly Operator DarmstadtAdmin = new("da-admin", OperatorRole.Admin, [Darmstadt]);

    public RecordingFailedMessages FailedMessages { get; } = new();
    /// <summary>Operators also sign in with this provider's tokens (four-eyes tells them apart by subject).</summary>
    public OidcProvider Oidc { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) => Oidc.Settings().Concat(new Dictionary<string, string>
    {
        ["Hub:Operations:EditAndRetry:Enabled"] = "true",
        ["Hub:Operations:Retention:FailedMessages"] = "30.00:00:00",
        ["Hub:Operations:Retention:SubmissionPayloads"] = "180.00:00:00",
        // appsettings.json: tenant 0 is Offenbach (hub-wide period), tenant 1 Darmstadt (its own, longer one).
        ["Hub:Tenants:1:PayloadRetention"] = "400.00:00:00",
    });

    /// <summary>A client of the operations API signed in with the provider's token for the person <paramref name="subject"/>.</summary>
    public HttpClient Api(string name, string subject)
    {
        var client = Factory.CreateClient();
        OidcProvider.SignIn(client, Oidc.Token(name, ["admin"], [Operator.AllMunicipalities], subject: subject));
        return client;
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Oidc.Dispose();
    }

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.RemoveAll<IFailedMessages>();
        services.AddSingleton<IFailedMessages>(FailedMessages);
    }

    /// <summary>Runs <paramref name="action"/> with a service of a fresh scope (one unit of work, as one request would).</summary>
    public async Task<T> WithAsync<TService, T>(Func<TService, Task<T>> action) where TService : notnull
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    public Task<MessageEditView> ProposeAsync(Operator who, Guid failedMessageId, string? xml, IReadOnlyDictionary<string, string>? headers = null,
        string reason = "Familienname falsch geschrieben (Ticket 4711)") =>
        WithAsync<IMessageEdits, MessageEditView>(e => e.ProposeAsync(who, failedMessageId, xml, headers, reason, CancellationToken.None));

    public Task<MessageEditView> ApproveAsync(Operator who, Guid editId) =>
        WithAsync<IMessageEdits, MessageEditView>(e => e.ApproveAsync(who, editId, CancellationToken.None));

    public IBlobStore Blobs => Factory.Services.GetRequiredService<IBlobStore>();

    /// <summary>
    /// An accepted and routed Wohngeld submission of Offenbach stored as intake keeps it (encrypted to the destination's
    /// key), with one attachment; the ledger sweep leaves it alone.
    /// </summary>
    public async Task<(Submission Submission, DemoApplication Application)> SeedSubmissionAsync(int seed, string ars = Offenbach, Guid? destination = null)
    {
        var destinationId = destination ?? OffenbachWohngeld;
        var application = ApplicationFactory.Wohngeld(ars, "63065", "Offenbach am Main", seed, withAttachment: true);
        var now = DateTimeOffset.UtcNow;
        var submission = new Submission
        {
            Id = Guid.NewGuid(),
            CaseId = Guid.NewGuid(),
            DestinationId = destinationId,
            Ars = ars,
            SenderClientId = ClientId,
            LeikaKey = application.LeikaKey,
            ServiceName = application.ServiceName,
            Status = SubmissionStatus.Accepted,
            AnnouncedAttachments = string.Join(',', application.Attachments.Select(a => a.AttachmentId)),
            CreatedAt = now,
            SubmittedAt = now,
            DecidedAt = now,
            RoutedAt = now,
            UpdatedAt = now,
        };
        using var key = RSA.Create();
        key.ImportParameters(Factory.Services.GetRequiredService<KeyStore>().DestinationKey(destinationId).Rsa.ExportParameters(false));
        var metadata = Sender().BuildMetadata(application);
        await PutJweAsync(SubmissionBlobs.Metadata(submission.Id), Encoding.UTF8.GetBytes(metadata.ToJsonString()), key);
        await PutJweAsync(SubmissionBlobs.Data(submission.Id), application.Xml, key);
        foreach (var attachment in application.Attachments)
            await PutJweAsync(SubmissionBlobs.Attachment(submission.Id, attachment.AttachmentId), attachment.Content, key);
        await InLedgerAsync(async db =>
        {
            db.Submissions.Add(submission);
            return await db.SaveChangesAsync();
        });
        return (submission, application);
    }

    private Task PutJweAsync(string blob, byte[] plaintext, RSA key) =>
        Blobs.PutAsync(blob, new MemoryStream(Encoding.ASCII.GetBytes(JweEncryptor.Encrypt(plaintext, key, Jwk.Thumbprint(key))))); // a kid the destination has (its key by thumbprint)

    /// <summary>An unresolved failed delivery of the submission (or a message about no submission), as the store would hold it.</summary>
    public async Task<FailedMessage> SeedFailedMessageAsync(Guid? submissionId, string? ars = Offenbach,
        FailedMessageStatus status = FailedMessageStatus.Unresolved, DateTimeOffset? updatedAt = null)
    {
        var at = updatedAt ?? DateTimeOffset.UtcNow;
        var message = new FailedMessage
        {
            Id = Guid.NewGuid(),
            MessageId = Guid.NewGuid(),
            Source = "error-queue",
            MessageType = "DeliveryRequested",
            Endpoint = "submission-delivery",
            Consumer = "DeliveryRequestedConsumer",
            Ars = ars,
            Target = "marius",
            SubmissionId = submissionId,
            ExceptionType = "IntegrationHub.Delivery.PermanentDeliveryException",
            ExceptionMessage = "422 from the target",
            Fingerprint = "3f2a",
            Body = "{\"message\":{}}",
            Headers = "{\"Content-Type\":\"application/vnd.masstransit+json\"}",
            FirstFailedAt = at,
            LastFailedAt = at,
            FailureCount = 1,
            Status = status,
            UpdatedAt = at,
            ResolvedAt = status == FailedMessageStatus.Resolved ? at : null,
        };
        await Factory.Services.GetRequiredService<global::IntegrationHub.Security.AtRest.FailedMessageColumns>().ProtectAsync(message, default);
        await InLedgerAsync(async db =>
        {
            db.FailedMessages.Add(message);
            return await db.SaveChangesAsync();
        });
        return message;
    }

    /// <summary>What DeliveryRequestedConsumer hands an adapter for the submission's handover to Marius.</summary>
    public async Task<DeliveryCall> DeliveryCallAsync(Guid submissionId)
    {
        var submission = await InLedgerAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == submissionId));
        var services = Factory.Services;
        var tenants = services.GetRequiredService<TenantDirectory>();
        var delivery = new TargetDelivery
        {
            Id = Guid.NewGuid(),
            SubmissionId = submission.Id,
            Ars = submission.Ars,
            Target = "marius",
            Step = DeliverySteps.Handover,
            Status = DeliveryStatus.Pending,
            IdempotencyKey = TargetDelivery.IdempotencyKeyFor(submission.Id, "marius"),
        };
        return new DeliveryCall(delivery, submission, tenants.Target("marius"), tenants.FindTenant(submission.Ars)!,
            services.GetRequiredService<IConfiguration>().GetSection("Hub:Targets:marius"), null, services.GetRequiredService<SubmissionReader>(),
            services.GetRequiredService<IBlobStore>(), services.GetRequiredService<KeyStore>(), 16 * 1024 * 1024);
    }

    public async Task<byte[]> ReadBlobAsync(string name)
    {
        await using var stream = await Blobs.OpenReadAsync(name);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>The application with the applicant's Familienname replaced (a correction the schema accepts).</summary>
    public static string WithFamilienname(byte[] xml, string familienname)
    {
        var document = XDocument.Load(new MemoryStream(xml));
        var name = document.Descendants().First(e => e.Name.LocalName == "antragsteller").Elements().First(e => e.Name.LocalName == "familienname");
        name.Value = familienname;
        return document.ToString();
    }

    public static string Familienname(byte[] xml) => XDocument.Load(new MemoryStream(xml)).Descendants()
        .First(e => e.Name.LocalName == "antragsteller").Elements().First(e => e.Name.LocalName == "familienname").Value;
}

/// <summary>Stands in for the failed-message store's retries: records who retried which selection.</summary>
public sealed class RecordingFailedMessages : IFailedMessages
{
    public ConcurrentQueue<(Operator Who, FailedMessageSelection Selection, string? RedirectTo)> Retries { get; } = new();

    public IReadOnlyList<(Operator Who, FailedMessageSelection Selection, string? RedirectTo)> RetriesOf(Guid failedMessageId) =>
        Retries.Where(r => r.Selection.Ids?.Contains(failedMessageId) == true).ToList();

    public Task<RetryBatchView> RetryAsync(Operator who, FailedMessageSelection selection, string? redirectTo, CancellationToken ct)
    {
        Retries.Enqueue((who, selection, redirectTo));
        var now = DateTimeOffset.UtcNow;
        return Task.FromResult(new RetryBatchView(Guid.NewGuid(), who.Name, $"{selection.Ids?.Count} messages", redirectTo, selection.Ids?.Count ?? 0,
            selection.Ids?.Count ?? 0, 0, RetryBatchStatus.Completed, null, now, now));
    }

    public Task<Page<FailedMessageSummary>> ListAsync(Operator who, FailedMessageFilter filter, int offset, int limit, CancellationToken ct) =>
        throw new NotSupportedException();
    public Task<IReadOnlyList<FailureGroup>> GroupsAsync(Operator who, FailureGrouping by, FailedMessageFilter filter, CancellationToken ct) =>
        throw new NotSupportedException();
    public Task<FailedMessageDetail?> GetAsync(Operator who, Guid id, CancellationToken ct) => throw new NotSupportedException();
    public Task<RetryBatchView?> GetBatchAsync(Operator who, Guid batchId, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<RetryBatchView>> BatchesAsync(Operator who, bool runningOnly, CancellationToken ct) => throw new NotSupportedException();
    public Task<int> ArchiveAsync(Operator who, FailedMessageSelection selection, CancellationToken ct) => throw new NotSupportedException();
    public Task<int> RestoreAsync(Operator who, FailedMessageSelection selection, CancellationToken ct) => throw new NotSupportedException();
}

[CollectionDefinition(Name)]
public sealed class OperationsHubCollection : ICollectionFixture<OperationsHubFixture>
{
    public const string Name = "hub with edit and retry and retention";
}

/// <summary>
/// Edit and retry: an admin proposes a corrected application for a failed delivery, a second admin approves, the message
/// is retried and targets read the corrected XML from then on, while the sender's original stays as it was.
/// </summary>
[Collection(OperationsHubCollection.Name)]
public sealed class EditAndRetryTests(OperationsHubFixture hub)
{
    private static readonly Operator Reader = OperationsHubFixture.Reader;
    private static readonly Operator Worker = OperationsHubFixture.Worker;
    private static readonly Operator Admin = OperationsHubFixture.Admin;
    private static readonly Operator Approver = OperationsHubFixture.Approver;

    [Fact]
    public async Task Every_call_is_refused_while_edit_and_retry_is_switched_off()
    {
        var (submission, application) = await hub.SeedSubmissionAsync(seed: 601);
        var failed = await hub.SeedFailedMessageAsync(submission.Id);
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        var off = Options.Create(new OperationsOptions { EditAndRetry = { Enabled = false } });
        var edits = ActivatorUtilities.CreateInstance<MessageEdits>(scope.ServiceProvider, off);

        edits.Enabled.Should().BeFalse();
        await RefusedAsync(() => edits.ProposeAsync(Admin, failed.Id, OperationsHubFixture.WithFamilienname(application.Xml, "Neu"), null, "reason", default),
            ProblemTypes.EditAndRetryDisabled);
        await RefusedAsync(() => edits.ApproveAsync(Approver, Guid.NewGuid(), default), ProblemTypes.EditAndRetryDisabled);
        await RefusedAsync(() => edits.RejectAsync(Approver, Guid.NewGuid(), "no", default), ProblemTypes.EditAndRetryDisabled);
        await RefusedAsync(() => edits.ListAsync(Admin, null, default), ProblemTypes.EditAndRetryDisabled);
        (await EditsOfAsync(failed.Id)).Should().BeEmpty();
    }

    [Fact]
    public async Task Readers_operators_and_admins_of_another_municipality_cannot_propose()
    {
        var (submission, application) = await hub.SeedSubmissionAsync(seed: 602);
        var failed = await hub.SeedFailedMessageAsync(submission.Id);
        var xml = OperationsHubFixture.WithFamilienname(application.Xml, "Neu");

        await RefusedAsync(() => hub.ProposeAsync(Reader, failed.Id, xml), ProblemTypes.EditForbidden);
        await RefusedAsync(() => hub.ProposeAsync(Worker, failed.Id, xml), ProblemTypes.EditForbidden);
        await RefusedAsync(() => hub.ProposeAsync(OperationsHubFixture.DarmstadtAdmin, failed.Id, xml), ProblemTypes.EditMessageNotFound);
        await RefusedAsync(() => hub.ProposeAsync(Admin, failed.Id, xml, reason: "  "), ProblemTypes.EditInvalid);

        (await EditsOfAsync(failed.Id)).Should().BeEmpty();
        (await EditBlobsAsync(submission.Id)).Should().BeEmpty();
    }

    [Fact]
    public async Task Xml_that_breaks_the_contract_is_refused_with_where_and_why_and_nothing_is_stored()
    {
        var (submission, _) = await hub.SeedSubmissionAsync(seed: 603);
        var failed = await hub.SeedFailedMessageAsync(submission.Id);
        var schemaInvalid = ApplicationFactory.WohngeldSchemaInvalid(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 603);

        var invalid = await RefusedAsync(() => hub.ProposeAsync(Admin, failed.Id, Encoding.UTF8.GetString(schemaInvalid.Xml)), ProblemTypes.EditInvalid);
        invalid.Message.Should().Contain("schema-invalid").And.MatchRegex(@"line \d+, position \d+")
            .And.NotContain("6306A", "validation errors never quote the value");

        const string withDtd = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>";
        (await RefusedAsync(() => hub.ProposeAsync(Admin, failed.Id, withDtd), ProblemTypes.EditInvalid)).Message.Should().Contain("xml-dtd-prohibited");

        // The intake's XML policy holds for edits too: an admin cannot slip in what a sender could not.
        var valid = Encoding.UTF8.GetString(ApplicationFactory.Wohngeld(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 603).Xml);
        var withInstruction = valid.Insert(valid.IndexOf("?>", StringComparison.Ordinal) + 2, "<?procedure run-macro?>");
        (await RefusedAsync(() => hub.ProposeAsync(Admin, failed.Id, withInstruction), ProblemTypes.EditInvalid)).Message.Should().Contain("xml-processing-instruction");

        // Valid XML, but another municipality: the business rules validation applied to the original apply to the edit.
        var elsewhere = ApplicationFactory.Wohngeld(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 603);
        (await RefusedAsync(() => hub.ProposeAsync(Admin, failed.Id, Encoding.UTF8.GetString(elsewhere.Xml)), ProblemTypes.EditInvalid))
            .Message.Should().Contain("municipality-mismatch");

        (await EditsOfAsync(failed.Id)).Should().BeEmpty();
        (await EditBlobsAsync(submission.Id)).Should().BeEmpty();
        (await hub.InLedgerAsync(db => db.FailedMessageEvents.CountAsync(e => e.FailedMessageId == failed.Id))).Should().Be(0);
    }

    [Fact]
    public async Task The_proposer_cannot_approve_and_without_approval_nothing_is_retried()
    {
        var (submission, application) = await hub.SeedSubmissionAsync(seed: 604);
        var failed = await hub.SeedFailedMessageAsync(submission.Id);
        var edit = await hub.ProposeAsync(Admin, failed.Id, OperationsHubFixture.WithFamilienname(application.Xml, "Korrigiert"));

        await RefusedAsync(() => hub.ApproveAsync(Admin with { Name = "OPS-ADMIN" }, edit.Id), ProblemTypes.EditApprovalByProposer);
        await RefusedAsync(() => hub.ApproveAsync(Worker, edit.Id), ProblemTypes.EditForbidden);

        hub.FailedMessages.RetriesOf(failed.Id).Should().BeEmpty();
        var stored = await hub.InLedgerAsync(db => db.MessageEdits.AsNoTracking().SingleAsync(e => e.Id == edit.Id));
        stored.Status.Should().Be(MessageEditStatus.Proposed);
        (await hub.InLedgerAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == submission.Id))).DataEditId.Should().BeNull();
        var call = await hub.DeliveryCallAsync(submission.Id);
        (await call.ReadSubmissionAsync(default)).Data.Should().Equal(application.Xml, "a proposed edit changes nothing a target gets");
    }

    [Fact]
    public async Task Four_eyes_tells_people_apart_by_their_subject_not_their_display_name()
    {
        var (submission, application) = await hub.SeedSubmissionAsync(seed: 691);
        var failed = await hub.SeedFailedMessageAsync(submission.Id);
        using var proposer = hub.Api("m.mueller", subject: "u-4711");
        using var proposed = await proposer.PostAsJsonAsync($"/api/v1/operations/failed-messages/{failed.Id}/edits",
            new { xml = OperationsHubFixture.WithFamilienname(application.Xml, "Korrigiert"), reason = "Tippfehler (Ticket 4712)" });
        proposed.StatusCode.Should().Be(HttpStatusCode.Created, await proposed.Content.ReadAsStringAsync());
        var edit = (await proposed.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

        // The same person, renamed at the provider, is still the proposer.
        using var renamed = hub.Api("m.mueller-schmidt", subject: "u-4711");
        using var refused = await renamed.PostAsync($"/api/v1/operations/edits/{edit}/approve", null);
        refused.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await refused.Content.ReadAsStringAsync()).Should().Contain(ProblemTypes.EditApprovalByProposer.Uri);
        hub.FailedMessages.RetriesOf(failed.Id).Should().BeEmpty();

        // Another person who shares the display name is a second pair of eyes.
        using var namesake = hub.Api("m.mueller", subject: "u-0815");
        using var approved = await namesake.PostAsync($"/api/v1/operations/edits/{edit}/approve", null);
        approved.StatusCode.Should().Be(HttpStatusCode.OK, await approved.Content.ReadAsStringAsync());
        hub.FailedMessages.RetriesOf(failed.Id).Should().ContainSingle();
    }

    [Fact]
    public async Task A_second_admins_approval_retries_the_message_and_targets_then_read_the_edited_xml_while_the_original_stays()
    {
        var (submission, application) = await hub.SeedSubmissionAsync(seed: 605);
        var failed = await hub.SeedFailedMessageAsync(submission.Id);
        var originalBlob = await hub.ReadBlobAsync(SubmissionBlobs.Data(submission.Id));
        var originalName = OperationsHubFixture.Familienname(application.Xml);
        const string corrected = "Korrigiert-Beispielname";

        var proposed = await hub.ProposeAsync(Admin, failed.Id, OperationsHubFixture.WithFamilienname(application.Xml, corrected),
            new Dictionary<string, string> { ["X-Correction"] = "4711" });
        proposed.Status.Should().Be(MessageEditStatus.Proposed);
        proposed.OriginalXml.Should().Contain(originalName);
        proposed.EditedXml.Should().Contain(corrected);

        // Protected at rest beside the submission: the corrected name is nowhere in the blob.
        var stored = await hub.InLedgerAsync(db => db.MessageEdits.AsNoTracking().SingleAsync(e => e.Id == proposed.Id));
        stored.EditedDataBlob.Should().Be(EditedApplicationData.BlobName(submission.Id, proposed.Id));
        Encoding.UTF8.GetString(await hub.ReadBlobAsync(stored.EditedDataBlob!)).Should().NotContain(corrected);
        stored.EditedDataSha512.Should().HaveLength(128);

        var approved = await hub.ApproveAsync(Approver, proposed.Id);

        approved.Status.Should().Be(MessageEditStatus.Approved);
        approved.DecidedBy.Should().Be(Approver.Name);
        approved.DecidedAt.Should().NotBeNull();
        var retry = hub.FailedMessages.RetriesOf(failed.Id).Should().ContainSingle().Subject;
        retry.Who.Should().Be(Approver);
        retry.Selection.Ids.Should().Equal(failed.Id);
        retry.RedirectTo.Should().BeNull();
        (await hub.InLedgerAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == submission.Id))).DataEditId.Should().Be(proposed.Id);

        // What an adapter reads now: the corrected application; the sender's metadata and attachment as they were.
        var call = await hub.DeliveryCallAsync(submission.Id);
        var content = await call.ReadSubmissionAsync(default);
        OperationsHubFixture.Familienname(content.Data).Should().Be(corrected);
        var document = await call.ReadApplicationAsync(default);
        OperationsHubFixture.Familienname(Encoding.UTF8.GetBytes(document.OuterXml)).Should().Be(corrected, "the handover is built from it");
        content.Attachments.Should().ContainSingle().Which.AttachmentId.Should().Be(application.Attachments[0].AttachmentId);
        await using (var attachment = await call.OpenAttachmentAsync(application.Attachments[0].AttachmentId, default))
        using (var copy = new MemoryStream())
        {
            await attachment.CopyToAsync(copy);
            copy.ToArray().Should().Equal(application.Attachments[0].Content);
        }

        // The sender's original is untouched and still reads (and verifies) as sent.
        (await hub.ReadBlobAsync(SubmissionBlobs.Data(submission.Id))).Should().Equal(originalBlob);
        var reader = hub.Factory.Services.GetRequiredService<SubmissionReader>();
        (await reader.ReadDataAsync(await hub.InLedgerAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == submission.Id)), default))
            .Data.Should().Equal(application.Xml);

        await RefusedAsync(() => hub.ApproveAsync(OperationsHubFixture.SecondApprover, proposed.Id), ProblemTypes.EditAlreadyDecided);
        hub.FailedMessages.RetriesOf(failed.Id).Should().HaveCount(1);

        var events = await hub.InLedgerAsync(db => db.FailedMessageEvents.AsNoTracking().Where(e => e.FailedMessageId == failed.Id).OrderBy(e => e.Id).ToListAsync());
        events.Select(e => (e.Action, e.Actor)).Should().Equal(("edit-proposed", Admin.Name), ("edit-approved", Approver.Name));
        events.Should().OnlyContain(e => e.Detail!.Contains(proposed.Id.ToString()) && !e.Detail.Contains(corrected));
        var audit = await AuditOfAsync(failed.Id);
        audit.Select(a => (a.Action, a.Actor)).Should().Equal(("edit-proposed", Admin.Name), ("edit-approved", Approver.Name));
        (await hub.InLedgerAsync(db => db.History.AsNoTracking().Where(h => h.SubmissionId == submission.Id).Select(h => h.Step).ToListAsync()))
            .Should().Contain(MessageEdits.HistoryStep);
    }

    [Fact]
    public async Task Of_two_admins_approving_at_once_exactly_one_wins_and_the_message_is_retried_once()
    {
        var (submission, application) = await hub.SeedSubmissionAsync(seed: 606);
        var failed = await hub.SeedFailedMessageAsync(submission.Id);
        var edit = await hub.ProposeAsync(Admin, failed.Id, OperationsHubFixture.WithFamilienname(application.Xml, "Gleichzeitig"));

        var outcomes = await Task.WhenAll(
            Outcome(() => hub.ApproveAsync(Approver, edit.Id)),
            Outcome(() => hub.ApproveAsync(OperationsHubFixture.SecondApprover, edit.Id)));

        outcomes.Count(o => o is null).Should().Be(1, "one approval wins");
        outcomes.Single(o => o is not null).Should().Be(ProblemTypes.EditAlreadyDecided);
        hub.FailedMessages.RetriesOf(failed.Id).Should().ContainSingle();

        static async Task<ProblemType?> Outcome(Func<Task> approve)
        {
            try
            {
                await approve();
                return null;
            }
            catch (OperationRefusedException e)
            {
                return e.Type;
            }
        }
    }

    [Fact]
    public async Task A_rejected_edit_is_never_retried_nor_read_by_targets()
    {
        var (submission, application) = await hub.SeedSubmissionAsync(seed: 607);
        var failed = await hub.SeedFailedMessageAsync(submission.Id);
        var edit = await hub.ProposeAsync(Admin, failed.Id, OperationsHubFixture.WithFamilienname(application.Xml, "Abgelehnt"));

        await RefusedAsync(() => hub.WithAsync<IMessageEdits, MessageEditView>(e => e.RejectAsync(Approver, edit.Id, " ", default)), ProblemTypes.EditInvalid);
        var rejected = await hub.WithAsync<IMessageEdits, MessageEditView>(e => e.RejectAsync(Approver, edit.Id, "Name laut Ausweis korrekt", default));

        rejected.Status.Should().Be(MessageEditStatus.Rejected);
        rejected.DecidedBy.Should().Be(Approver.Name);
        rejected.DecisionNote.Should().Be("Name laut Ausweis korrekt");
        await RefusedAsync(() => hub.ApproveAsync(OperationsHubFixture.SecondApprover, edit.Id), ProblemTypes.EditAlreadyDecided);
        hub.FailedMessages.RetriesOf(failed.Id).Should().BeEmpty();
        var call = await hub.DeliveryCallAsync(submission.Id);
        (await call.ReadSubmissionAsync(default)).Data.Should().Equal(application.Xml);
        (await AuditOfAsync(failed.Id)).Select(a => a.Action).Should().Equal("edit-proposed", "edit-rejected");
        (await hub.InLedgerAsync(db => db.FailedMessageEvents.AsNoTracking().Where(e => e.FailedMessageId == failed.Id).OrderBy(e => e.Id)
            .Select(e => e.Action).ToListAsync())).Should().Equal("edit-proposed", "edit-rejected");
    }

    [Fact]
    public async Task Readers_and_operators_see_edits_with_the_xml_and_header_values_masked_admins_in_clear_and_audited()
    {
        var (submission, application) = await hub.SeedSubmissionAsync(seed: 608);
        var failed = await hub.SeedFailedMessageAsync(submission.Id);
        var originalName = OperationsHubFixture.Familienname(application.Xml);
        var edit = await hub.ProposeAsync(Admin, failed.Id, OperationsHubFixture.WithFamilienname(application.Xml, "Maskiert-Neu"),
            new Dictionary<string, string> { ["X-Applicant"] = originalName });

        foreach (var who in new[] { Reader, Worker })
        {
            var view = (await hub.WithAsync<IMessageEdits, IReadOnlyList<MessageEditView>>(e => e.ListAsync(who, MessageEditStatus.Proposed, default)))
                .Single(v => v.Id == edit.Id);
            view.OriginalXml.Should().Contain(SocialDataMask.Hidden).And.Contain("familienname").And.NotContain(originalName);
            view.EditedXml.Should().Contain(SocialDataMask.Hidden).And.NotContain("Maskiert-Neu");
            view.EditedHeaders.Should().Equal(new Dictionary<string, string> { ["X-Applicant"] = SocialDataMask.Hidden });
        }

        var clear = (await hub.WithAsync<IMessageEdits, IReadOnlyList<MessageEditView>>(e => e.ListAsync(Approver, null, default)))
            .Single(v => v.Id == edit.Id);
        clear.OriginalXml.Should().Contain(originalName);
        clear.EditedXml.Should().Contain("Maskiert-Neu");
        clear.EditedHeaders.Should().Equal(new Dictionary<string, string> { ["X-Applicant"] = originalName });
        var views = await hub.InLedgerAsync(db => db.OperatorAudit.AsNoTracking()
            .Where(a => a.Action == "view-social-data" && a.Actor == Approver.Name).ToListAsync());
        views.Should().Contain(a => a.Subject.Contains(edit.Id.ToString()));

        // An admin of another municipality does not see the edit at all.
        (await hub.WithAsync<IMessageEdits, IReadOnlyList<MessageEditView>>(e => e.ListAsync(OperationsHubFixture.DarmstadtAdmin, null, default)))
            .Should().NotContain(v => v.Id == edit.Id);
    }

    [Fact]
    public async Task Headers_alone_can_be_edited_also_for_a_message_about_no_submission_but_transport_headers_cannot()
    {
        var failed = await hub.SeedFailedMessageAsync(submissionId: null);

        await RefusedAsync(() => hub.ProposeAsync(Admin, failed.Id, "<a/>"), ProblemTypes.EditInvalid);
        await RefusedAsync(() => hub.ProposeAsync(Admin, failed.Id, null, new Dictionary<string, string> { ["MT-Fault-Message"] = "x" }),
            ProblemTypes.EditInvalid);
        await RefusedAsync(() => hub.ProposeAsync(Admin, failed.Id, null, new Dictionary<string, string>()), ProblemTypes.EditInvalid);
        var edit = await hub.ProposeAsync(Admin, failed.Id, null, new Dictionary<string, string> { ["X-Tenant"] = "064130000000" });
        var approved = await hub.ApproveAsync(Approver, edit.Id);

        approved.EditedHeaders.Should().Equal(new Dictionary<string, string> { ["X-Tenant"] = "064130000000" });
        approved.OriginalXml.Should().BeNull();
        approved.EditedXml.Should().BeNull();
        hub.FailedMessages.RetriesOf(failed.Id).Should().ContainSingle();
    }

    [Fact]
    public async Task Only_an_unresolved_message_can_be_edited()
    {
        var (submission, application) = await hub.SeedSubmissionAsync(seed: 609);
        var resolved = await hub.SeedFailedMessageAsync(submission.Id, status: FailedMessageStatus.Resolved);

        await RefusedAsync(() => hub.ProposeAsync(Admin, resolved.Id, OperationsHubFixture.WithFamilienname(application.Xml, "Zu spät")),
            ProblemTypes.EditMessageNotUnresolved);
        await RefusedAsync(() => hub.ProposeAsync(Admin, Guid.NewGuid(), null, new Dictionary<string, string> { ["X-A"] = "b" }),
            ProblemTypes.EditMessageNotFound);
    }

    [Fact]
    public async Task A_target_never_gets_an_edit_whose_blob_was_altered()
    {
        var (submission, application) = await hub.SeedSubmissionAsync(seed: 610);
        var failed = await hub.SeedFailedMessageAsync(submission.Id);
        var edit = await hub.ProposeAsync(Admin, failed.Id, OperationsHubFixture.WithFamilienname(application.Xml, "Echt"));
        await hub.ApproveAsync(Approver, edit.Id);
        var blob = EditedApplicationData.BlobName(submission.Id, edit.Id);
        var bytes = await hub.ReadBlobAsync(blob);
        bytes[^1] ^= 0x01;
        await hub.Blobs.PutAsync(blob, new MemoryStream(bytes));

        var call = await hub.DeliveryCallAsync(submission.Id);
        var refused = await FluentActions.Awaiting(() => call.ReadApplicationAsync(default)).Should().ThrowAsync<SubmissionProblemException>();
        refused.Which.Type.Should().Be(ProblemTypes.EditedDataUnverifiable);
    }

    private static async Task<OperationRefusedException> RefusedAsync(Func<Task> action, ProblemType expected)
    {
        var refused = await FluentActions.Awaiting(action).Should().ThrowAsync<OperationRefusedException>();
        refused.Which.Type.Should().Be(expected);
        return refused.Which;
    }

    private Task<List<MessageEdit>> EditsOfAsync(Guid failedMessageId) =>
        hub.InLedgerAsync(db => db.MessageEdits.AsNoTracking().Where(e => e.FailedMessageId == failedMessageId).ToListAsync());

    private async Task<List<string>> EditBlobsAsync(Guid submissionId)
    {
        var names = new List<string>();
        await foreach (var name in hub.Blobs.ListAsync(SubmissionBlobs.Prefix(submissionId) + "edits/")) names.Add(name);
        return names;
    }

    private Task<List<OperatorAuditEntry>> AuditOfAsync(Guid failedMessageId) =>
        hub.InLedgerAsync(db => db.OperatorAudit.AsNoTracking().Where(a => a.Subject == $"failed-message {failedMessageId}").OrderBy(a => a.Id).ToListAsync());
}
