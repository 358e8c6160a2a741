using System.Text;
using System.Text.Json;
using IntegrationHub.Ledger;
using IntegrationHub.Operations.Access;
using IntegrationHub.Problems;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Operations.Edits;

/// <summary>
/// Edit and retry: an admin proposes a corrected application XML and/or changed headers for an unresolved failed
/// message, a second admin approves (or anyone with the right rejects), and approval retries the message with the edit.
/// Off unless Hub:Operations:EditAndRetry:Enabled. The sender's original stays untouched beside the edit; an approved
/// data edit is what targets get from then on (Submission.DataEditId, read by SubmissionReader.ReadForDeliveryAsync).
/// </summary>
public sealed class MessageEdits(
    HubDbContext db,
    IServiceProvider services,
    IOperatorAudit audit,
    SubmissionReader reader,
    EditedApplicationData editedData,
    Security.AtRest.FailedMessageColumns columns,
    IBlobStore blobs,
    TenantDirectory tenants,
    IOptions<OperationsOptions> operations,
    IOptions<HubOptions> hub,
    ILogger<MessageEdits> logger) : IMessageEdits
{
    /// <summary>The newest edits a list shows (each with its XML decrypted).</summary>
    public const int ListLimit = 100;
    public const int MaxHeaders = 50;
    public const int MaxHeaderNameLength = 128;
    public const int MaxHeaderValueLength = 4096;
    /// <summary>The submission's history step when an edit of its application is approved.</summary>
    public const string HistoryStep = "application-edited";

    public bool Enabled => operations.Value.EditAndRetry.Enabled;

    public async Task<MessageEditView> ProposeAsync(Operator who, Guid failedMessageId, string? editedXml,
        IReadOnlyDictionary<string, string>? editedHeaders, string reason, CancellationToken ct)
    {
        EnsureEnabled();
        EnsureAdmin(who);
        if (string.IsNullOrWhiteSpace(reason))
            throw new OperationRefusedException(ProblemTypes.EditInvalid, "A reason is required.");
        if (editedXml is null && editedHeaders is not { Count: > 0 })
            throw new OperationRefusedException(ProblemTypes.EditInvalid, "Nothing to change: give the corrected XML, headers, or both.");

        var message = await db.FailedMessages.AsNoTracking().FirstOrDefaultAsync(f => f.Id == failedMessageId, ct);
        if (message is null || !who.Covers(message.Ars)) throw new OperationRefusedException(ProblemTypes.EditMessageNotFound);
        if (message.Status != FailedMessageStatus.Unresolved) throw new OperationRefusedException(ProblemTypes.EditMessageNotUnresolved);
        var headers = editedHeaders is { Count: > 0 } ? CheckHeaders(editedHeaders) : null;

        byte[]? xml = null;
        Submission? edited = null;
        if (editedXml is not null)
        {
            if (message.SubmissionId is not { } submissionId)
                throw new OperationRefusedException(ProblemTypes.EditInvalid, "Only the application of a message about a submission can be edited.");
            var submission = await db.Submissions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == submissionId, ct);
            if (submission is not { PayloadsDeletedAt: null })
                throw new OperationRefusedException(ProblemTypes.EditInvalid, "The submission's application is no longer stored.");
            xml = Encoding.UTF8.GetBytes(editedXml);
            await CheckContractAsync(submission, xml, ct);
            edited = submission;
        }

        var edit = new MessageEdit
        {
            Id = Guid.NewGuid(),
            FailedMessageId = message.Id,
            SubmissionId = message.SubmissionId,
            ProposedBy = who.Name,
            ProposedById = who.Id,
            ProposedAt = DateTimeOffset.UtcNow,
            Reason = reason.Trim(),
            Status = MessageEditStatus.Proposed,
        };
        edit.EditedHeaders = await columns.ProtectEditedHeadersAsync(edit.Id, message.Ars, headers, ct);
        if (xml is not null)
            (edit.EditedDataBlob, edit.EditedDataSha512) = await editedData.StoreAsync(edited!.Id, edited.Ars, edit.Id, xml, ct);
        db.MessageEdits.Add(edit);
        AddEvent(message.Id, "edit-proposed", who, Describe(edit));
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch when (edit.EditedDataBlob is not null)
        {
            // Never half-stored: without its ledger row the protected XML goes too.
            await blobs.DeleteAsync(edit.EditedDataBlob, CancellationToken.None);
            throw;
        }
        await audit.WriteAsync(who, "edit-proposed", $"failed-message {message.Id}", 1, Describe(edit), ct);
        logger.LogInformation("Edit {EditId} of failed message {FailedMessageId} proposed", edit.Id, message.Id);
        return await ViewAsync(who, edit, ct);
    }

    public async Task<MessageEditView> ApproveAsync(Operator who, Guid editId, CancellationToken ct)
    {
        EnsureEnabled();
        EnsureAdmin(who);
        var (edit, message) = await FindAsync(who, editId, ct);
        if (edit.Status != MessageEditStatus.Proposed) throw new OperationRefusedException(ProblemTypes.EditAlreadyDecided);
        if (IsProposer(who, edit)) throw new OperationRefusedException(ProblemTypes.EditApprovalByProposer);
        if (message.Status != FailedMessageStatus.Unresolved) throw new OperationRefusedException(ProblemTypes.EditMessageNotUnresolved);

        var now = DateTimeOffset.UtcNow;
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            // A conditional update: of two admins approving at once exactly one wins.
            var won = await db.MessageEdits.Where(e => e.Id == editId && e.Status == MessageEditStatus.Proposed)
                .ExecuteUpdateAsync(u => u.SetProperty(e => e.Status, MessageEditStatus.Approved).SetProperty(e => e.DecidedBy, who.Name)
                    .SetProperty(e => e.DecidedAt, now), ct);
            if (won == 0) throw new OperationRefusedException(ProblemTypes.EditAlreadyDecided);
            if (edit is { EditedDataBlob: not null, SubmissionId: { } submissionId })
            {
                await db.Submissions.Where(s => s.Id == submissionId)
                    .ExecuteUpdateAsync(u => u.SetProperty(s => s.DataEditId, editId).SetProperty(s => s.UpdatedAt, now), ct);
                db.AddHistory(submissionId, HistoryStep, detail: $"edit {editId}");
            }
            AddEvent(message.Id, "edit-approved", who, Describe(edit));
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }
        await audit.WriteAsync(who, "edit-approved", $"failed-message {message.Id}", 1, Describe(edit), ct);
        logger.LogInformation("Edit {EditId} of failed message {FailedMessageId} approved; retrying", editId, message.Id);

        // Resolved here rather than injected: the failed-message store is a part of its own, registered by
        // AddFailedMessageStore; edits only need it once an edit is approved.
        await services.GetRequiredService<IFailedMessages>().RetryAsync(who, FailedMessageSelection.One(message.Id), null, ct);
        return await ViewAsync(who, await db.MessageEdits.AsNoTracking().FirstAsync(e => e.Id == editId, ct), ct);
    }

    public async Task<MessageEditView> RejectAsync(Operator who, Guid editId, string note, CancellationToken ct)
    {
        EnsureEnabled();
        EnsureAdmin(who);
        if (string.IsNullOrWhiteSpace(note)) throw new OperationRefusedException(ProblemTypes.EditInvalid, "A note saying why is required.");
        var (edit, message) = await FindAsync(who, editId, ct);
        if (edit.Status != MessageEditStatus.Proposed) throw new OperationRefusedException(ProblemTypes.EditAlreadyDecided);

        // Rejecting needs no second person (nothing is sent); a proposer may withdraw their own edit this way.
        var now = DateTimeOffset.UtcNow;
        var won = await db.MessageEdits.Where(e => e.Id == editId && e.Status == MessageEditStatus.Proposed)
            .ExecuteUpdateAsync(u => u.SetProperty(e => e.Status, MessageEditStatus.Rejected).SetProperty(e => e.DecidedBy, who.Name)
                .SetProperty(e => e.DecidedAt, now).SetProperty(e => e.DecisionNote, note.Trim()), ct);
        if (won == 0) throw new OperationRefusedException(ProblemTypes.EditAlreadyDecided);
        AddEvent(message.Id, "edit-rejected", who, Describe(edit));
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(who, "edit-rejected", $"failed-message {message.Id}", 1, Describe(edit), ct);
        logger.LogInformation("Edit {EditId} of failed message {FailedMessageId} rejected", editId, message.Id);
        return await ViewAsync(who, await db.MessageEdits.AsNoTracking().FirstAsync(e => e.Id == editId, ct), ct);
    }

    /// <summary>Newest first, at most <see cref="ListLimit"/>; every role may look, the XML is masked unless the operator sees social data.</summary>
    public async Task<IReadOnlyList<MessageEditView>> ListAsync(Operator who, MessageEditStatus? status, CancellationToken ct)
    {
        EnsureEnabled();
        var query = from e in db.MessageEdits.AsNoTracking()
                    join f in db.FailedMessages.AsNoTracking() on e.FailedMessageId equals f.Id
                    select new { Edit = e, f.Ars };
        if (status is { } s) query = query.Where(x => x.Edit.Status == s);
        if (who.Municipalities is { } covered) query = query.Where(x => x.Ars != null && covered.Contains(x.Ars));
        var edits = await query.OrderByDescending(x => x.Edit.ProposedAt).Take(ListLimit).Select(x => x.Edit).ToListAsync(ct);

        var views = new List<MessageEditView>(edits.Count);
        foreach (var edit in edits) views.Add(await ViewAsync(who, edit, ct));
        var shown = views.Where(v => v.OriginalXml is not null || v.EditedXml is not null || v.EditedHeaders is not null).Select(v => v.Id).ToList();
        if (who.SeesSocialData && shown.Count > 0)
            await audit.WriteAsync(who, "view-social-data", "edits " + string.Join(",", shown), shown.Count, ct: ct);
        return views;
    }

    /// <summary>
    /// Four-eyes tells people apart by their stable identity (scheme and subject): a display name can be changed at the
    /// provider, or shared by two people. Edits from before the identity was kept fall back to the name.
    /// </summary>
    public static bool IsProposer(Operator who, string proposedBy, string? proposedById) =>
        proposedById is not null ? string.Equals(proposedById, who.Id, StringComparison.Ordinal)
            : string.Equals(proposedBy, who.Name, StringComparison.OrdinalIgnoreCase);

    private static bool IsProposer(Operator who, MessageEdit edit) => IsProposer(who, edit.ProposedBy, edit.ProposedById);

    private void EnsureEnabled()
    {
        if (!Enabled) throw new OperationRefusedException(ProblemTypes.EditAndRetryDisabled);
    }

    // Editing needs seeing: only admins see the application in clear.
    private static void EnsureAdmin(Operator who)
    {
        if (!who.SeesSocialData) throw new OperationRefusedException(ProblemTypes.EditForbidden);
    }

    private async Task<(MessageEdit Edit, FailedMessage Message)> FindAsync(Operator who, Guid editId, CancellationToken ct)
    {
        var edit = await db.MessageEdits.AsNoTracking().FirstOrDefaultAsync(e => e.Id == editId, ct);
        var message = edit is null ? null : await db.FailedMessages.AsNoTracking().FirstOrDefaultAsync(f => f.Id == edit.FailedMessageId, ct);
        if (edit is null || message is null || !who.Covers(message.Ars)) throw new OperationRefusedException(ProblemTypes.EditNotFound);
        return (edit, message);
    }

    /// <summary>The corrected XML must pass what validation checked the original against: safe parsing, the XSD, the business rules.</summary>
    private async Task CheckContractAsync(Submission submission, byte[] xml, CancellationToken ct)
    {
        var limits = hub.Value.Limits;
        if (xml.Length > limits.MaxDataBytes)
            throw new OperationRefusedException(ProblemTypes.EditInvalid, "The corrected XML exceeds the configured data limit.");
        var service = tenants.FindDestination(submission.DestinationId)?.Destination.Services.FirstOrDefault(s => s.LeikaKey == submission.LeikaKey)
            ?? throw new OperationRefusedException(ProblemTypes.EditInvalid, "The destination no longer offers this service.");
        try
        {
            // The schema the sender announced for the original: an edit corrects values, it does not change the contract.
            var (_, schemaUri, _) = await reader.ReadDataAsync(submission, ct);
            // The intake's XML policy first (UTF-8, no DTD or processing instruction, depth and value limits, the schema's namespace).
            var document = XmlContractValidator.LoadSubmission(xml, limits, schemaUri);
            BusinessRules.Check(document, schemaUri, service, submission.Ars, DateTimeOffset.UtcNow);
        }
        catch (SubmissionProblemException e)
        {
            // Line, position and rule only: the validator's details never quote values.
            throw new OperationRefusedException(ProblemTypes.EditInvalid, $"{e.Type.Name}: {e.Message}");
        }
    }

    private static string CheckHeaders(IReadOnlyDictionary<string, string> headers)
    {
        if (headers.Count > MaxHeaders) throw new OperationRefusedException(ProblemTypes.EditInvalid, $"At most {MaxHeaders} headers can be changed.");
        foreach (var (name, value) in headers)
        {
            if (name.Length is 0 or > MaxHeaderNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
                throw new OperationRefusedException(ProblemTypes.EditInvalid,
                    $"Header names are 1 to {MaxHeaderNameLength} letters, digits, '-', '_', '.' or ':'.");
            // MassTransit's own headers (MT-Fault-*, MT-Redelivery-*, …) describe the failure, not the message.
            if (name.StartsWith("MT-", StringComparison.OrdinalIgnoreCase))
                throw new OperationRefusedException(ProblemTypes.EditInvalid, $"Header '{name}' belongs to the transport and cannot be edited.");
            if (value is null || value.Length > MaxHeaderValueLength || value.Any(char.IsControl))
                throw new OperationRefusedException(ProblemTypes.EditInvalid,
                    $"Header '{name}': the value must be at most {MaxHeaderValueLength} characters without control characters.");
        }
        return JsonSerializer.Serialize(headers);
    }

    private void AddEvent(Guid failedMessageId, string action, Operator who, string detail) =>
        db.FailedMessageEvents.Add(new FailedMessageEvent
        {
            FailedMessageId = failedMessageId,
            At = DateTimeOffset.UtcNow,
            Action = action,
            Actor = who.Name,
            Detail = detail,
        });

    // Ids and what changes, never the content (the reason may name people: it stays in the edit).
    private static string Describe(MessageEdit edit) =>
        $"edit {edit.Id}: " + (edit.EditedDataBlob, edit.EditedHeaders) switch
        {
            (not null, not null) => "application XML and headers",
            (not null, null) => "application XML",
            _ => "headers",
        };

    private async Task<MessageEditView> ViewAsync(Operator who, MessageEdit edit, CancellationToken ct)
    {
        string? original = null, edited = null;
        if (edit is { EditedDataBlob: { } blob, EditedDataSha512: { } sha512, SubmissionId: { } submissionId })
        {
            var submission = await db.Submissions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == submissionId, ct);
            if (submission is { PayloadsDeletedAt: null })
            {
                original = await TryReadAsync(edit.Id, async () => (await reader.ReadDataAsync(submission, ct)).Data);
                edited = await TryReadAsync(edit.Id, () => editedData.ReadAsync(edit.Id, submission.Ars, blob, sha512, ct));
            }
        }
        var headersJson = edit.EditedHeaders is null ? null : await columns.ReadEditedHeadersAsync(edit.Id,
            await db.FailedMessages.AsNoTracking().Where(f => f.Id == edit.FailedMessageId).Select(f => f.Ars).FirstOrDefaultAsync(ct), edit.EditedHeaders, ct);
        var headers = headersJson is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(headersJson);
        if (!who.SeesSocialData)
        {
            original = original is null ? null : SocialDataMask.MaskXml(original);
            edited = edited is null ? null : SocialDataMask.MaskXml(edited);
            headers = headers?.ToDictionary(h => h.Key, h => SocialDataMask.MaskText(h.Value));
        }
        return new MessageEditView(edit.Id, edit.FailedMessageId, edit.SubmissionId, edit.ProposedBy, edit.ProposedAt, edit.Reason, edit.Status,
            edit.DecidedBy, edit.DecidedAt, edit.DecisionNote, original, edited, headers, edit.ProposedById);
    }

    // A view still shows the edit when one side cannot be read (blob gone, integrity failure): that side stays empty.
    private async Task<string?> TryReadAsync(Guid editId, Func<Task<byte[]>> read)
    {
        try
        {
            return Encoding.UTF8.GetString(await read());
        }
        catch (Exception e) when (e is SubmissionProblemException or BlobNotFoundException)
        {
            logger.LogWarning("XML of edit {EditId} cannot be shown: {Reason}", editId, e is SubmissionProblemException p ? p.Type.Name : "blob missing");
            return null;
        }
    }
}
