using IntegrationHub.CaseStatus;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.Dms;
using IntegrationHub.Simulators.EfA;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.EndToEndTests;

/// <summary>The hub with Offenbach filing into the simulated d.3-like DMS under its own Aktenplan mapping.</summary>
public sealed class DmsFilingFixture : HubFixture
{
    public const string AntragKey = "50.21.10";
    public const string BescheidKey = "50.21.20";

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) =>
    [
        new("Hub:Targets:dms:Kind", "Dms"),
        new("Hub:Targets:dms:BaseUrl", new Uri(simulators.BaseAddress, "dms/").ToString()),
        new("Hub:Targets:dms:RepositoryId", DmsSimulator.DefaultRepositoryId),
        // Small chunks, so the attachment goes up in several.
        new("Hub:Targets:dms:ChunkSizeBytes", "2048"),
        new("Hub:Tenants:0:Dms", "dms"),
        new("Hub:Tenants:0:Aktenplan:0:LeikaKey", DemoServices.SozialhilfeLeikaKey),
        new("Hub:Tenants:0:Aktenplan:0:DocumentType", "Antrag"),
        new("Hub:Tenants:0:Aktenplan:0:Key", AntragKey),
        new("Hub:Tenants:0:Aktenplan:0:AkteTitle", "Hilfe zum Lebensunterhalt – Anträge"),
        new("Hub:Tenants:0:Aktenplan:1:LeikaKey", DemoServices.SozialhilfeLeikaKey),
        new("Hub:Tenants:0:Aktenplan:1:DocumentType", "Bescheid"),
        new("Hub:Tenants:0:Aktenplan:1:Key", BescheidKey),
        new("Hub:Tenants:0:Aktenplan:1:AkteTitle", "Hilfe zum Lebensunterhalt – Bescheide"),
    ];
}

/// <summary>A Sozialhilfe application goes to the Prosoz-like procedure and, with its Aktenzeichen, into the E-Akte; so does the Bescheid.</summary>
public sealed class DmsFilingTests(DmsFilingFixture hub) : IClassFixture<DmsFilingFixture>
{
    [Fact]
    public async Task Sozialhilfe_application_ends_filed_as_Akte_Vorgang_and_Dokumente_under_the_Aktenplan_key_and_the_procedures_Aktenzeichen()
    {
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 401, withAttachment: true);

        var outcome = await hub.Sender().SubmitAsync(application, HubFixture.OffenbachSozialhilfe);

        var (submission, deliveries) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);
        submission.Status.Should().Be(SubmissionStatus.Accepted);
        var handover = deliveries.Single(d => d.Step == DeliverySteps.Handover);
        handover.Target.Should().Be("prosoz");
        var filing = deliveries.Single(d => d.Step == "filing:antrag");
        filing.Target.Should().Be("dms");
        filing.Status.Should().Be(DeliveryStatus.Delivered, filing.LastError);

        var filed = hub.Simulators.Dms.FiledUnder(handover.Aktenzeichen!).Should().ContainSingle().Subject;
        filed.Akte.Property(DmsSchema.AktenplanKey).Should().Be(DmsFilingFixture.AntragKey);
        filed.Akte.Property(DmsSchema.Title).Should().Be("Hilfe zum Lebensunterhalt – Anträge");
        filed.Vorgang.Property(DmsSchema.Aktenzeichen).Should().MatchRegex(@"^50\.21-SGB12-\d{4}-\d{6}$");
        filed.Dokumente.Should().HaveCount(1 + application.Attachments.Count);
        filed.Dokumente.Should().OnlyContain(d => d.Property(DmsSchema.SubmissionId) == submission.Id.ToString()
            && d.Property(DmsSchema.Aktenzeichen) == handover.Aktenzeichen);
        filed.Dokumente[0].Property(DmsSchema.DocumentType).Should().Be("Antrag");
        filed.Dokumente[0].Content!.Sha512.Should().Be(Sha512.Hex(application.Xml));
        var attachment = application.Attachments[0];
        var anlage = filed.Dokumente[1];
        anlage.Property(DmsSchema.DocumentType).Should().Be("Anlage");
        anlage.Property(DmsSchema.FileName).Should().Be(attachment.FileName);
        anlage.Content!.Sha512.Should().Be(Sha512.Hex(attachment.Content));
        anlage.Content.Chunks.Should().Be((attachment.Content.Length + 2047) / 2048);
        filing.Reference.Should().Contain($"/o2m/{filed.Dokumente[0].Id}");
        hub.Simulators.Dms.Calls.Where(c => c.IdempotencyKey == filing.IdempotencyKey).Should().OnlyContain(c => c.Status < 400);
    }

    [Fact]
    public async Task Bescheid_reported_by_the_procedure_is_filed_under_its_own_Aktenplan_key_in_the_Vorgang_of_the_case()
    {
        var application = ApplicationFactory.Sozialhilfe(HubFixture.Offenbach, "63065", "Offenbach am Main", seed: 402, withAttachment: false);
        var outcome = await hub.Sender().SubmitAsync(application, HubFixture.OffenbachSozialhilfe);
        var (submission, deliveries) = await hub.WaitUntilSettledAsync(outcome.SubmissionId!.Value);
        var aktenzeichen = deliveries.Single(d => d.Step == DeliverySteps.Handover).Aktenzeichen!;
        var bescheid = MinimalPdf.Create("Bescheid");

        await using (var scope = hub.Factory.Services.CreateAsyncScope())
        {
            var result = await scope.ServiceProvider.GetRequiredService<ProcedureReports>().ReportAsync("prosoz",
                new ProcedureReport(submission.Id, aktenzeichen, 1, CitizenStatus.Completed, DateTimeOffset.UtcNow,
                    Document: new ReportedDocument("Bescheid.pdf", "application/pdf", new MemoryStream(bescheid))), CancellationToken.None);
            result.Should().Be(ReportOutcome.Applied);
        }

        (_, deliveries) = await hub.WaitUntilSettledAsync(submission.Id);
        deliveries.Should().Contain(d => d.Target == "dms" && d.Step.StartsWith("filing:bescheid") && d.Status == DeliveryStatus.Delivered);
        var filed = hub.Simulators.Dms.FiledUnder(aktenzeichen);
        filed.Select(f => f.Akte.Property(DmsSchema.AktenplanKey)).Should().BeEquivalentTo([DmsFilingFixture.AntragKey, DmsFilingFixture.BescheidKey]);
        var dokument = filed.Single(f => f.Akte.Property(DmsSchema.AktenplanKey) == DmsFilingFixture.BescheidKey).Dokumente.Should().ContainSingle().Subject;
        dokument.Property(DmsSchema.DocumentType).Should().Be("Bescheid");
        dokument.Property(DmsSchema.FileName).Should().Be("Bescheid.pdf");
        dokument.Content!.Sha512.Should().Be(Sha512.Hex(bescheid));
    }
}
