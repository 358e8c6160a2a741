using IntegrationHub.OnceOnly;
using IntegrationHub.Operations;
using IntegrationHub.OnceOnly.Protocol;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Ledger;

public sealed class HubDbContext(DbContextOptions<HubDbContext> options) : DbContext(options)
{
    public DbSet<Submission> Submissions => Set<Submission>();
    public DbSet<SubmissionAttachment> SubmissionAttachments => Set<SubmissionAttachment>();
    public DbSet<SubmissionHistoryEntry> History => Set<SubmissionHistoryEntry>();
    public DbSet<TargetDelivery> Deliveries => Set<TargetDelivery>();
    public DbSet<CaseEvent> CaseEvents => Set<CaseEvent>();
    public DbSet<StatusReport> StatusReports => Set<StatusReport>();
    public DbSet<AccessProtocolRecord> AccessProtocol => Set<AccessProtocolRecord>();
    public DbSet<EvidenceRequestRecord> EvidenceRequests => Set<EvidenceRequestRecord>();
    public DbSet<FailedMessage> FailedMessages => Set<FailedMessage>();
    public DbSet<FailedMessageEvent> FailedMessageEvents => Set<FailedMessageEvent>();
    public DbSet<RetryBatch> RetryBatches => Set<RetryBatch>();
    public DbSet<MessageEdit> MessageEdits => Set<MessageEdit>();
    public DbSet<OperatorAuditEntry> OperatorAudit => Set<OperatorAuditEntry>();
    public DbSet<Tenancy.Onboarding.MunicipalityRecord> Municipalities => Set<Tenancy.Onboarding.MunicipalityRecord>();
    public DbSet<Tenancy.Onboarding.MunicipalityVersion> MunicipalityVersions => Set<Tenancy.Onboarding.MunicipalityVersion>();
    public DbSet<Tenancy.Onboarding.SmokeTestRun> SmokeTests => Set<Tenancy.Onboarding.SmokeTestRun>();
    public DbSet<Tenancy.Onboarding.DestinationKeyVersion> DestinationKeys => Set<Tenancy.Onboarding.DestinationKeyVersion>();
    public DbSet<Security.AtRest.DataKeyRecord> DataKeys => Set<Security.AtRest.DataKeyRecord>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.Entity<Submission>(e =>
        {
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.CaseId).IsUnique();
            e.HasIndex(x => new { x.Status, x.UpdatedAt });
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.Ars).HasMaxLength(12);
            e.Property(x => x.LeikaKey).HasMaxLength(14);
            e.Ignore(x => x.AnnouncedAttachmentIds);
        });
        b.Entity<SubmissionAttachment>(e => e.HasKey(x => new { x.SubmissionId, x.AttachmentId }));
        b.Entity<SubmissionHistoryEntry>(e =>
        {
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.SubmissionId);
        });
        b.Entity<TargetDelivery>(e =>
        {
            e.HasKey(x => x.Id);
            // One call per submission, target and step: the routing consumer and status reports may run twice.
            e.HasIndex(x => new { x.SubmissionId, x.Target, x.Step }).IsUnique();
            e.HasIndex(x => x.Aktenzeichen);
            e.HasIndex(x => new { x.Status, x.NextAttemptAt });
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(32);
            // Optimistic concurrency: the consumer, an acknowledgement and a procedure's report may settle the same
            // delivery at once; whoever writes second sees the conflict and looks again instead of overwriting.
            e.Property(x => x.UpdatedAt).IsConcurrencyToken();
        });
        b.Entity<StatusReport>(e =>
        {
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.SubmissionId, x.Source, x.Sequence }).IsUnique();
        });
        b.Entity<CaseEvent>(e =>
        {
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.CaseId);
            e.HasIndex(x => new { x.SubmissionId, x.EventUri }).IsUnique();
        });
        b.Entity<AccessProtocolRecord>(AccessProtocolRecord.Configure);
        b.Entity<EvidenceRequestRecord>(e =>
        {
            e.ToTable("EvidenceRequests");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.Status, x.NextAttemptAt });
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            // Several hub processes work the table: a claim is a conditional update on UpdatedAt.
            e.Property(x => x.UpdatedAt).IsConcurrencyToken();
        });
        b.Entity<FailedMessage>(e =>
        {
            e.HasKey(x => x.Id);
            // One row per original message: a retried message that fails again comes back to the same row.
            e.HasIndex(x => x.MessageId).IsUnique();
            e.HasIndex(x => new { x.Status, x.LastFailedAt });
            e.HasIndex(x => new { x.Fingerprint, x.Status });
            e.HasIndex(x => x.SubmissionId);
            e.HasIndex(x => x.RetryBatchId);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.UpdatedAt).IsConcurrencyToken();
        });
        b.Entity<FailedMessageEvent>(e =>
        {
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.FailedMessageId);
        });
        b.Entity<RetryBatch>(e =>
        {
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.Status, x.CreatedAt });
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
        });
        b.Entity<MessageEdit>(e =>
        {
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.FailedMessageId);
            e.Property(x => x.Status).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.DecidedAt).IsConcurrencyToken();
        });
        b.Entity<OperatorAuditEntry>(e =>
        {
            e.ToTable("OperatorAudit");
            e.HasKey(x => x.Id);
            e.HasIndex(x => x.At);
        });
        b.Entity<Tenancy.Onboarding.MunicipalityRecord>(e =>
        {
            e.ToTable("Municipalities");
            e.HasKey(x => x.Ars);
            e.Property(x => x.Ars).HasMaxLength(12);
            e.Property(x => x.State).HasConversion<string>().HasMaxLength(16);
            e.Property(x => x.UpdatedAt).IsConcurrencyToken();
        });
        b.Entity<Tenancy.Onboarding.MunicipalityVersion>(e =>
        {
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.Ars, x.Version }).IsUnique();
        });
        b.Entity<Tenancy.Onboarding.SmokeTestRun>(e =>
        {
            e.ToTable("SmokeTests");
            e.HasKey(x => x.Id);
            e.HasIndex(x => new { x.Ars, x.StartedAt });
        });
        b.Entity<Tenancy.Onboarding.DestinationKeyVersion>(e =>
        {
            e.ToTable("DestinationKeys");
            e.HasKey(x => new { x.DestinationId, x.Version });
            e.HasIndex(x => x.Kid).IsUnique();
        });
        b.Entity<Security.AtRest.DataKeyRecord>(Security.AtRest.DataKeyRecord.Configure);

        // SQLite cannot order or compare DateTimeOffset; store UTC ticks there.
        if (Database.IsSqlite())
        {
            foreach (var entity in b.Model.GetEntityTypes())
            foreach (var property in entity.GetProperties().Where(p => p.ClrType == typeof(DateTimeOffset) || p.ClrType == typeof(DateTimeOffset?)))
                property.SetValueConverter(new Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter());
        }
    }
}
