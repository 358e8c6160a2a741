namespace IntegrationHub.Simulators.Postbox;

/// <summary>A message in a citizen's postbox, as the postbox shows it.</summary>
/// <param name="StorkQaaLevel">The level the citizen must be logged in with to read it ("STORK-QAA-Level-3").</param>
/// <param name="Author">The sending municipality (the author token's iss, an ARS).</param>
public sealed record PostboxMessage(
    Guid MessageId,
    Guid MailboxUuid,
    string Title,
    string Content,
    string Sender,
    string Service,
    string StorkQaaLevel,
    IReadOnlyList<PostboxAttachment> Attachments,
    string Author,
    DateTimeOffset ReceivedAt);

/// <summary>An attachment whose sha512 and length the postbox checked on arrival.</summary>
public sealed record PostboxAttachment(string FileName, string MimeType, string Sha512, long Length, byte[] Content);

/// <summary>One entry of an application's status trail in the citizen's status monitor.</summary>
public sealed record PostboxStatus(
    Guid StatusId,
    Guid MailboxUuid,
    string ApplicationId,
    string Status,
    string PublicServiceName,
    string SenderName,
    DateTimeOffset CreatedDate,
    string? Details,
    string Author,
    DateTimeOffset ReceivedAt);

/// <summary>A citizen's postbox: its messages and status entries in arrival order.</summary>
public sealed record PostboxInbox(Guid MailboxUuid, IReadOnlyList<PostboxMessage> Messages, IReadOnlyList<PostboxStatus> Statuses)
{
    /// <summary>The statuses of one application, in arrival order.</summary>
    public IReadOnlyList<PostboxStatus> StatusTrail(string applicationId) =>
        Statuses.Where(s => s.ApplicationId == applicationId).ToList();
}

/// <summary>One call the postbox answered: what was sent, and how it was answered (201, 200 for a repeat, a refusal).</summary>
/// <param name="Outcome">"accepted", "duplicate" or the problem kind of a refusal (e.g. "author-token-expired").</param>
public sealed record PostboxCall(string Kind, Guid? Id, int Status, string Outcome, DateTimeOffset At);
