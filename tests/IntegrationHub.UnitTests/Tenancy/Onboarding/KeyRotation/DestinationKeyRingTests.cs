using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Problems;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.Tenancy.Onboarding.KeyRotation;
using IntegrationHub.UnitTests.Storage;
using IntegrationHub.Validation;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static IntegrationHub.UnitTests.Validation.HubTestData;

namespace IntegrationHub.UnitTests.Tenancy.Onboarding.KeyRotation;

/// <summary>A clock the test moves.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>
/// The key ring over a SQLite ledger shared by two hub processes (each its own ring, cache and key store on the shared key
/// folder), with a clock the test moves; and the submission reader deciding by the JWE's kid.
/// </summary>
public sealed class DestinationKeyRingTests : IAsyncLifetime
{
    private static readonly Guid Destination = Guid.Parse("9d2e4c6a-1b3f-4e5d-8a7c-0f1e2d3c4b5a");
    private static readonly Guid OtherDestination = Guid.Parse("3c4b5a69-8d7e-4f1a-9b2c-1d0e9f8a7b6c");
    private static readonly TimeSpan Overlap = TimeSpan.FromDays(14);

    private readonly TempDirectory _folder = new("key-ring");
    private readonly ManualClock _clock = new(new DateTimeOffset(2025, 6, 2, 8, 0, 0, TimeSpan.Zero));
    private readonly HttpClient _http = new() { BaseAddress = new Uri("http://hub.invalid/") };
    private ServiceProvider _hub = null!;
    private ServiceProvider _otherHub = null!;

    private string ConnectionString => $"Data Source={_folder.Combine("ledger.db")};Default Timeout=30";

    public async Task InitializeAsync()
    {
        _hub = Hub();
        _otherHub = Hub();
        await using var scope = _hub.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        await LedgerSchema.MigrateAsync(db);
    }

    public async Task DisposeAsync()
    {
        await _hub.DisposeAsync();
        await _otherHub.DisposeAsync();
        SqliteConnection.ClearAllPools();
        _http.Dispose();
        _folder.Dispose();
    }

    // One hub process: its own ledger connections, key store (on the shared key folder) and key ring.
    private ServiceProvider Hub() => new ServiceCollection()
        .AddLogging()
        .AddDbContext<HubDbContext>(o => o.UseSqlite(ConnectionString))
        .AddSingleton(Options.Create(new HubOptions
        {
            DataDirectory = _folder.Path,
            Keys = { Directory = _folder.Combine("keys"), MasterKey = TestMasterKeys.Default, DestinationKeyBits = 2048 },
        }))
        .AddSingleton(NullLogger<KeyStore>.Instance)
        .AddSingleton<KeyStore>()
        .AddSingleton<TimeProvider>(_clock)
        .AddSingleton<DestinationKeyRing>()
        .AddSingleton<IBlobStore>(new FileSystemBlobStore(_folder.Combine("blobs")))
        .AddSingleton<SubmissionReader>()
        .BuildServiceProvider();

    private DestinationKeyRing Ring => _hub.GetRequiredService<DestinationKeyRing>();
    private DestinationKeyRing OtherRing => _otherHub.GetRequiredService<DestinationKeyRing>();
    private static string Kid(int version) => KeyStore.DestinationKid(Destination, version);

    [Fact]
    public async Task A_destination_never_rotated_publishes_and_accepts_its_first_key()
    {
        var current = await Ring.CurrentAsync(Destination, default);

        current.Entry.Kid.Should().Be(Kid(1));
        current.Key.Should().BeSameAs(_hub.GetRequiredService<KeyStore>().DestinationKey(Destination), "version 1 is the key destinations always had");
        (await Ring.AcceptedAsync(Destination, default)).Select(k => k.Entry.Kid).Should().Equal(Kid(1));
    }

    [Fact]
    public async Task Rotation_publishes_a_new_key_and_keeps_the_old_one_accepted_until_the_overlap_ends()
    {
        var rotation = await Ring.RotateAsync(Destination, Overlap, "admin-anna", default);

        rotation.Current.Kid.Should().Be(Kid(2));
        rotation.Previous.Kid.Should().Be(Kid(1));
        rotation.PreviousRetiresAt.Should().Be(_clock.Now + Overlap);
        File.Exists(_folder.Combine("keys", $"destination-{Destination:N}-enc-2.key.pem")).Should().BeTrue();
        File.ReadAllText(_folder.Combine("keys", $"destination-{Destination:N}-enc-2.key.pem")).Should().Contain("ENCRYPTED PRIVATE KEY");
        (await Ring.CurrentAsync(Destination, default)).Entry.Kid.Should().Be(Kid(2));
        (await Ring.AcceptedAsync(Destination, default)).Select(k => k.Entry.Kid).Should().Equal(Kid(1), Kid(2));

        _clock.Advance(Overlap - TimeSpan.FromSeconds(1));
        (await Ring.AcceptedAsync(Destination, default)).Select(k => k.Entry.Kid).Should().Equal(Kid(1), Kid(2));
        _clock.Advance(TimeSpan.FromSeconds(1));
        (await Ring.AcceptedAsync(Destination, default)).Select(k => k.Entry.Kid).Should().Equal(Kid(2));
        (await Ring.FindAsync(Destination, Kid(1), default))!.Entry.AcceptedAt(_clock.Now).Should().BeFalse("retired by time, without any job");
        (await Ring.CurrentAsync(OtherDestination, default)).Entry.Kid.Should().Be(KeyStore.DestinationKid(OtherDestination, 1), "other destinations are untouched");
    }

    [Fact]
    public async Task Another_process_sees_a_rotation_after_its_cache_expires_and_a_new_kid_at_once()
    {
        (await OtherRing.CurrentAsync(Destination, default)).Entry.Kid.Should().Be(Kid(1)); // cached there now

        await Ring.RotateAsync(Destination, Overlap, "admin-anna", default);

        (await OtherRing.CurrentAsync(Destination, default)).Entry.Kid.Should().Be(Kid(1), "the other process caches briefly");
        var found = await OtherRing.FindAsync(Destination, Kid(2), default);
        found.Should().NotBeNull("a kid this process does not know yet makes it read the ledger again");
        found!.Key.Thumbprint.Should().Be((await Ring.CurrentAsync(Destination, default)).Key.Thumbprint, "both processes use the same key file");
        _clock.Advance(DestinationKeyRing.RefreshInterval);
        (await OtherRing.CurrentAsync(Destination, default)).Entry.Kid.Should().Be(Kid(2));
    }

    [Fact]
    public async Task Retiring_ends_the_overlap_now_and_is_recorded_in_the_ledger()
    {
        await Ring.RotateAsync(Destination, Overlap, "admin-anna", default);
        _clock.Advance(TimeSpan.FromHours(1));
        await Ring.RotateAsync(Destination, Overlap, "admin-anna", default);
        _clock.Advance(TimeSpan.FromHours(1));

        var (entry, retired) = await Ring.RetireAsync(Destination, Kid(2), default);

        retired.Should().BeTrue();
        entry.RetiresAt.Should().Be(_clock.Now);
        (await Ring.AcceptedAsync(Destination, default)).Select(k => k.Entry.Kid).Should().Equal(Kid(1), Kid(3));
        var rows = await InLedgerAsync(db => db.DestinationKeys.AsNoTracking().OrderBy(k => k.Version).ToListAsync());
        rows.Select(r => (r.Version, r.RetiredAt)).Should().Equal((2, _clock.Now), (3, null));
        rows[1].PreviousRetiresAt.Should().Be(_clock.Now, "the overlap after the rotation to 3 ended");

        var again = await Ring.RetireAsync(Destination, Kid(2), default);
        again.Retired.Should().BeFalse("retiring a retired key changes nothing");
        (await Ring.RetireAsync(Destination, Kid(1), default)).Retired.Should().BeTrue("the first key has no row; the end of its overlap records it");
        (await Ring.AcceptedAsync(Destination, default)).Select(k => k.Entry.Kid).Should().Equal(Kid(3));
    }

    [Fact]
    public async Task The_current_key_and_unknown_keys_cannot_be_retired()
    {
        var current = await Ring.Invoking(r => r.RetireAsync(Destination, Kid(1), default)).Should().ThrowAsync<OperationRefusedException>();
        current.Which.Type.Should().Be(ProblemTypes.DestinationKeyCurrent);

        var unknown = await Ring.Invoking(r => r.RetireAsync(Destination, KeyStore.DestinationKid(OtherDestination, 1), default))
            .Should().ThrowAsync<OperationRefusedException>();
        unknown.Which.Type.Should().Be(ProblemTypes.KeyNotFound, "another destination's key is not this destination's");
    }

    // --- The submission reader: the kid decides which of the destination's keys decrypts.

    private SubmissionReader Reader => _hub.GetRequiredService<SubmissionReader>();

    private async Task<Submission> StoreAsync(DemoApplication application, int metadataVersion, int dataVersion, int attachmentVersion, string? kidOverride = "")
    {
        var submission = new Submission
        {
            Id = Guid.NewGuid(),
            CaseId = Guid.NewGuid(),
            DestinationId = Destination,
            Ars = Ars,
            SenderClientId = "efa-test",
            LeikaKey = application.LeikaKey,
            ServiceName = application.ServiceName,
            Status = SubmissionStatus.Submitted,
            AnnouncedAttachments = string.Join(',', application.Attachments.Select(a => a.AttachmentId)),
            CreatedAt = _clock.Now,
            SubmittedAt = _clock.Now,
            UpdatedAt = _clock.Now,
        };
        var sender = new EfaOnlineService(_http, "efa-test", "secret");
        var blobs = _hub.GetRequiredService<IBlobStore>();
        await PutAsync(SubmissionBlobs.Metadata(submission.Id), Encrypt(Encoding.UTF8.GetBytes(sender.BuildMetadata(application).ToJsonString()), metadataVersion, kidOverride));
        await PutAsync(SubmissionBlobs.Data(submission.Id), Encrypt(application.Xml, dataVersion, kidOverride));
        foreach (var a in application.Attachments)
            await PutAsync(SubmissionBlobs.Attachment(submission.Id, a.AttachmentId), Encrypt(a.Content, attachmentVersion, kidOverride));
        return submission;

        async Task PutAsync(string name, string compact) => await blobs.PutAsync(name, new MemoryStream(Encoding.ASCII.GetBytes(compact)), default);
    }

    // As a sender encrypts: to the public part of a version, naming its kid (or the given one; null: no kid).
    private string Encrypt(byte[] plaintext, int version, string? kidOverride)
    {
        using var publicKey = RSA.Create();
        publicKey.ImportParameters(_hub.GetRequiredService<KeyStore>().DestinationKey(Destination, version).Rsa.ExportParameters(false));
        return JweEncryptor.Encrypt(plaintext, publicKey, kidOverride == "" ? Kid(version) : kidOverride);
    }

    private static DemoApplication Application(int seed) => ApplicationFactory.Wohngeld(Ars, Plz, Ort, seed, withAttachment: true);

    [Fact]
    public async Task During_the_overlap_submissions_to_the_old_key_the_new_key_or_both_are_read()
    {
        await Ring.RotateAsync(Destination, Overlap, "admin-anna", default);
        _clock.Advance(TimeSpan.FromDays(1));
        var application = Application(11);

        foreach (var (metadata, data, attachment) in new[] { (1, 1, 1), (2, 2, 2), (2, 1, 2), (1, 2, 1) })
            (await Reader.ReadAsync(await StoreAsync(application, metadata, data, attachment), default)).Data.Should().Equal(application.Xml,
                $"metadata, data and attachment encrypted to versions {metadata}, {data}, {attachment}");
    }

    [Fact]
    public async Task After_retirement_a_submission_to_the_old_key_is_rejected_but_one_made_before_stays_readable()
    {
        var application = Application(12);
        await Ring.RotateAsync(Destination, Overlap, "admin-anna", default);
        var madeDuringOverlap = await StoreAsync(application, 1, 1, 1);
        _clock.Advance(TimeSpan.FromHours(1));
        await Ring.RetireAsync(Destination, Kid(1), default);
        _clock.Advance(TimeSpan.FromMinutes(1));

        var late = await StoreAsync(application, 1, 1, 1);
        var ex = await ProblemAsync(() => Reader.ReadAsync(late, default), ProblemTypes.DestinationKeyRetired);
        ex.Message.Should().Contain(Kid(1)).And.Contain("retired").And.Contain("encryptionKid");

        (await Reader.ReadForDeliveryAsync(madeDuringOverlap, default)).Data.Should().Equal(application.Xml,
            "a submission accepted during the overlap is still delivered from its stored original");
        await using var attachment = await Reader.OpenAttachmentAsync(madeDuringOverlap, application.Attachments[0].AttachmentId, default);
        var content = new MemoryStream();
        await attachment.CopyToAsync(content);
        content.ToArray().Should().Equal(application.Attachments[0].Content);
    }

    [Fact]
    public async Task An_attachment_to_a_retired_key_is_rejected_even_when_metadata_and_data_use_the_new_one()
    {
        await Ring.RotateAsync(Destination, TimeSpan.Zero, "admin-anna", default);
        var application = Application(13);
        var submission = await StoreAsync(application, 2, 2, 1);

        var ex = await ProblemAsync(() => Reader.ReadAsync(submission, default), ProblemTypes.DestinationKeyRetired);

        ex.Message.Should().Contain($"attachment {application.Attachments[0].AttachmentId}");
    }

    [Fact]
    public async Task A_kid_of_another_destination_is_unknown_here_and_a_missing_kid_means_the_key_published_then()
    {
        var application = Application(14);
        var foreign = await StoreAsync(application, 1, 1, 1, kidOverride: KeyStore.DestinationKid(OtherDestination, 1));
        await ProblemAsync(() => Reader.ReadAsync(foreign, default), ProblemTypes.DestinationKeyUnknown);

        var beforeRotation = await StoreAsync(application, 1, 1, 1, kidOverride: null);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await Ring.RotateAsync(Destination, Overlap, "admin-anna", default);
        _clock.Advance(TimeSpan.FromMinutes(1));
        var afterRotation = await StoreAsync(application, 2, 2, 2, kidOverride: null);

        (await Reader.ReadAsync(beforeRotation, default)).Data.Should().Equal(application.Xml);
        (await Reader.ReadAsync(afterRotation, default)).Data.Should().Equal(application.Xml);
    }

    private async Task<T> InLedgerAsync<T>(Func<HubDbContext, Task<T>> query)
    {
        await using var scope = _hub.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<HubDbContext>());
    }
}
