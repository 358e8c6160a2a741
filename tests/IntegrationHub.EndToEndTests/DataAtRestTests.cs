using System.Data.Common;
using System.Text;
using System.Xml.Linq;
using IntegrationHub.CaseStatus;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Operations.FailedMessages;
using IntegrationHub.Security.AtRest;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.Dms;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// Data at rest on the running hub: after a full case with a Bescheid and after a failed delivery, neither the ledger's
/// raw columns (read with plain SQL) nor the blob store hold the application's personal data, while operators still
/// read the failed message, its retry sends it again, and the postbox and the DMS get the Bescheid byte-identical.
/// </summary>
public sealed class DataAtRestTests(FailedMessagesHubFixture hub) : IClassFixture<FailedMessagesHubFixture>, IAsyncLifetime
{
    private static readonly Operator Admin = new("ops-admin", OperatorRole.Admin);

    public Task InitializeAsync()
    {
        hub.Simulators.Prosoz.Faults.Reset();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        hub.Simulators.Prosoz.Faults.Reset();
        hub.Simulators.Prosoz.Reports.AutoDecide = false;
        return Task.CompletedTask;
    }

    [Fact]
    public async Task After_a_Sozialhilfe_case_with_a_Bescheid_no_personal_data_is_at_rest_in_plaintext_and_postbox_and_DMS_get_the_Bescheid_unchanged()
    {
        hub.Simulators.Prosoz.Reports.AutoDecide = true;
        var mailbox = hub.Simulators.Postbox.OpenMailbox();
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 951, withAttachment: true)
            with { MailboxUuid = mailbox, TrustLevel = 3 };

        var submissionId = (await hub.Sender().SubmitAsync(application, HubFixture.DarmstadtSozialhilfe)).SubmissionId!.Value;
        await hub.WaitForCitizenStatusAsync(submissionId, CitizenStatus.Completed, TimeSpan.FromSeconds(90));

        var aktenzeichen = await hub.InLedgerAsync(db => db.Deliveries.Where(d => d.SubmissionId == submissionId && d.Step == DeliverySteps.Handover)
            .Select(d => d.Aktenzeichen!).SingleAsync());
        var bescheid = MinimalPdf.Create($"Bescheid {aktenzeichen}"); // what the Prosoz-like procedure sends
        var received = hub.Simulators.Postbox.Inbox(mailbox).Messages.Should().HaveCount(2)
            .And.Subject.Last().Attachments.Should().ContainSingle().Subject;
        received.Content.Should().Equal(bescheid);
        received.FileName.Should().Be($"Bescheid-{aktenzeichen}.pdf", "the postbox gets the name the procedure gave, decrypted");
        var filed = hub.Simulators.Dms.FiledUnder(aktenzeichen).SelectMany(f => f.Dokumente).Where(d => d.Property(DmsSchema.DocumentType) == "Bescheid")
            .Should().ContainSingle().Subject;
        filed.Content!.Sha512.Should().Be(Sha512.Hex(bescheid));
        filed.Content.FileName.Should().Be($"Bescheid-{aktenzeichen}.pdf");
        // The document's name is personal data as well (procedures name Bescheide after people): encrypted in the report
        // row and in the calls that carry it.
        var names = await hub.InLedgerAsync(db => db.StatusReports.Where(r => r.SubmissionId == submissionId && r.DocumentName != null)
            .Select(r => r.DocumentName!).ToListAsync());
        names.Should().NotBeEmpty().And.OnlyContain(n => AtRestProtector.IsProtectedText(n) && !n.Contains(aktenzeichen));
        (await hub.InLedgerAsync(db => db.Deliveries.Where(d => d.SubmissionId == submissionId).Select(d => d.Payload).ToListAsync()))
            .Should().NotContain(p => p != null && p.Contains("Bescheid-", StringComparison.Ordinal));

        var blobs = await RawBlobsAsync(submissionId);
        var document = blobs.Should().ContainSingle(b => b.Key.Contains("/documents/", StringComparison.Ordinal)).Subject;
        AtRestEnvelope.StartsWithMagic(document.Value).Should().BeTrue("the Bescheid is stored encrypted with Darmstadt's key");
        AtRestEnvelope.Parse(document.Value).Ars.Should().Be(HubFixture.Darmstadt);
        Encoding.Latin1.GetString(document.Value).Should().NotContain("%PDF").And.NotContain(aktenzeichen);
        await AssertNoPersonalDataAtRestAsync(application, blobs);
    }

    [Fact]
    public async Task A_failed_delivery_is_kept_encrypted_operators_still_read_its_body_and_its_retry_delivers()
    {
        hub.Simulators.Prosoz.Faults.FailNext(1, 400);
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 952);
        var submissionId = (await hub.Sender().SubmitAsync(application, HubFixture.DarmstadtSozialhilfe)).SubmissionId!.Value;

        var failed = (await HubFixture.WaitForAsync(
            () => Store(s => s.ListAsync(Admin, new FailedMessageFilter(SubmissionId: submissionId, Target: "prosoz"), 0, 10, default)),
            page => page.Items.Count == 1)).Items.Should().ContainSingle().Subject;

        var raw = (await LedgerRowsAsync("FailedMessages")).Single(r => Guid.Parse(r["Id"]!.ToString()!) == failed.Id);
        foreach (var column in new[] { "Body", "Headers", "StackTrace", "ExceptionMessage" })
        {
            var value = raw[column] as string;
            if (column == "ExceptionMessage" && value is null) continue;
            value.Should().StartWith(AtRestEnvelope.TextPrefix, $"{column} is encrypted at rest").And.NotContain(submissionId.ToString());
        }
        raw["Ars"].Should().Be(HubFixture.Darmstadt, "the row's municipality stays readable for scoping and filters");

        var detail = (await Store(s => s.GetAsync(Admin, failed.Id, default)))!;
        detail.Body.Should().Contain(submissionId.ToString(), "operators read the original body, decrypted");
        detail.Headers.Should().ContainKey("MT-Fault-ExceptionType");
        detail.StackTrace.Should().Contain("at ");
        (failed.ExceptionMessage ?? "").Should().NotStartWith(AtRestEnvelope.TextPrefix);
        await AssertNoPersonalDataAtRestAsync(application, await RawBlobsAsync(submissionId));

        // The retry sends the original message again: decrypted from the ledger.
        await Store(s => s.RetryAsync(Admin, FailedMessageSelection.One(failed.Id), null, default));
        (await HubFixture.WaitForAsync(() => hub.InLedgerAsync(db => db.Deliveries.Where(d => d.SubmissionId == submissionId && d.Step == DeliverySteps.Handover)
            .Select(d => d.Status).SingleAsync()), status => status == DeliveryStatus.Delivered)).Should().Be(DeliveryStatus.Delivered);
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(1);
    }

    /// <summary>Names, IBAN and street of the application nowhere in the ledger's text columns or the submission's blobs.</summary>
    private async Task AssertNoPersonalDataAtRestAsync(DemoApplication application, IReadOnlyDictionary<string, byte[]> blobs)
    {
        var xml = XDocument.Parse(Encoding.UTF8.GetString(application.Xml));
        var personal = xml.Descendants().Where(e => e.Name.LocalName is "familienname" or "vorname" or "iban" or "strasse" && !e.HasElements)
            .Select(e => e.Value.Trim()).Where(v => v.Length >= 4).Distinct().ToList();
        personal.Should().Contain(v => v.StartsWith("DE", StringComparison.Ordinal) && v.Length > 20, "the seeded application has an IBAN");
        personal.Count.Should().BeGreaterThanOrEqualTo(4);

        var found = new List<string>();
        foreach (var table in await LedgerTablesAsync())
        foreach (var row in await LedgerRowsAsync(table))
        foreach (var (column, value) in row)
            if (value is string text && personal.FirstOrDefault(p => text.Contains(p, StringComparison.OrdinalIgnoreCase)) is { } hit)
                found.Add($"{table}.{column} holds '{hit}'");
        foreach (var (name, content) in blobs)
        {
            var text = Encoding.UTF8.GetString(content);
            if (personal.FirstOrDefault(p => text.Contains(p, StringComparison.OrdinalIgnoreCase)) is { } hit) found.Add($"blob {name} holds '{hit}'");
        }
        found.Should().BeEmpty();
    }

    private async Task<IReadOnlyDictionary<string, byte[]>> RawBlobsAsync(Guid submissionId)
    {
        var store = hub.Factory.Services.GetRequiredService<IBlobStore>();
        var blobs = new Dictionary<string, byte[]>();
        await foreach (var name in store.ListAsync(SubmissionBlobs.Prefix(submissionId)))
        {
            await using var stream = await store.OpenReadAsync(name);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            blobs[name] = buffer.ToArray();
        }
        blobs.Should().NotBeEmpty();
        return blobs;
    }

    private Task<List<string>> LedgerTablesAsync() => hub.InLedgerAsync(async db =>
    {
        var sql = db.Database.IsNpgsql()
            ? "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'";
        var tables = new List<string>();
        await QueryAsync(db, sql, reader => tables.Add(reader.GetString(0)));
        return tables;
    });

    /// <summary>Every row of a ledger table as stored, read with plain SQL past the hub's own code.</summary>
    private Task<List<Dictionary<string, object?>>> LedgerRowsAsync(string table) => hub.InLedgerAsync(async db =>
    {
        var rows = new List<Dictionary<string, object?>>();
        await QueryAsync(db, $"SELECT * FROM \"{table}\"", reader =>
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++) row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        });
        return rows;
    });

    private static async Task QueryAsync(HubDbContext db, string sql, Action<DbDataReader> read)
    {
        var connection = db.Database.GetDbConnection();
        if (connection.State != System.Data.ConnectionState.Open) await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) read(reader);
    }

    private async Task<T> Store<T>(Func<IFailedMessages, Task<T>> use)
    {
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        return await use(scope.ServiceProvider.GetRequiredService<IFailedMessages>());
    }
}
