using System.Xml.Linq;
using IntegrationHub.Simulators.EfA;

namespace IntegrationHub.PrivacyTests;

public sealed class PersonalDataScannerTests
{
    private static readonly XNamespace Ihc = ApplicationFactory.CommonNamespace;

    public static TheoryData<int> Seeds => new() { 0, 1, 7, 42, 301, 1234, 99999, -5 };

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Finds_every_kind_of_personal_data_of_a_seeded_application_planted_in_a_log_line(int seed)
    {
        foreach (var application in new[]
                 {
                     ApplicationFactory.Wohngeld("064130000000", "63065", "Offenbach am Main", seed),
                     ApplicationFactory.Sozialhilfe("064110000000", "64283", "Darmstadt", seed),
                 })
        {
            var applicant = XDocument.Load(new MemoryStream(application.Xml)).Root!.Element(Ihc + "antragsteller")!;
            string Value(params string[] path) => path.Aggregate(applicant, (e, name) => e.Element(Ihc + name)!).Value;
            var iban = XDocument.Load(new MemoryStream(application.Xml)).Descendants(Ihc + "iban").Single().Value;
            var planted = new Dictionary<string, string>
            {
                ["name"] = $"Delivery to prosoz failed for {Value("vorname")} {Value("familienname")}: 503",
                ["IdNr"] = $"Evidence lookup idNr={Value("identifikationsnummer")} refused",
                ["IBAN"] = $"Bankverbindung {iban} checked",
                ["street address"] = $"Address {Value("anschrift", "strasse")} {Value("anschrift", "hausnummer")}, 63065 not found",
                ["date of birth"] = $"born {Value("geburtsdatum")} (ARS 064130000000)",
                ["e-mail address"] = $"contact {Value("kontakt", "email")}",
                ["phone number"] = $"contact {Value("kontakt", "telefon")}",
                ["application XML"] = $"Invalid content: <ihc:familienname>{Value("familienname")}</ihc:familienname>",
            };

            foreach (var (kind, line) in planted)
                PersonalDataScanner.Scan(line).Should().Contain(f => f.Kind == kind, $"{application.Label}: {line}");
        }
    }

    [Fact]
    public void Finds_names_surname_first_and_german_dates_of_birth()
    {
        PersonalDataScanner.Scan("Antragsteller: Öztürk, Ayşe").Should().ContainSingle(f => f.Kind == "name");
        PersonalDataScanner.Scan("geboren am 03.11.1961").Should().ContainSingle(f => f.Kind == "date of birth");
        PersonalDataScanner.Scan("Geburtsdatum=11/03/1961;").Should().ContainSingle(f => f.Kind == "date of birth");
        PersonalDataScanner.Scan("FireTime=12/05/2025 04:56:15 +00:00;").Should().BeEmpty();
        PersonalDataScanner.Scan("body {\"familienname\": \"Nowak\"}").Should().ContainSingle(f => f.Kind == "application JSON");
        PersonalDataScanner.Scan("IBAN DE89 3704 0044 0532 0130 00").Should().ContainSingle(f => f.Kind == "IBAN");
    }

    [Theory]
    [InlineData("2026-12-05T04:41:07.1234567+00:00 Information IntegrationHub.Delivery.DeliveryRequestedConsumer | Delivered submission 3f2c9a4e-1b7d-4e3a-9c61-0a8e2b4d6f10 to prosoz (step 1) | properties: SubmissionId=3f2c9a4e-1b7d-4e3a-9c61-0a8e2b4d6f10; Target=prosoz; | scopes: SubmissionId=3f2c9a4e-1b7d-4e3a-9c61-0a8e2b4d6f10; CaseId=7c3a9e2e-5d1b-4f0a-9c61-3e8f2b4d6a10; Ars=064130000000; Target=prosoz;")]
    [InlineData("Information IntegrationHub.Tenancy | Tenant 064130000000 Stadt Offenbach am Main: destinations 7f076675-a1c0-4408-9bcd-7aeb467f6f11, cc8f952a-3e56-4e25-8484-0422819eb63f")]
    [InlineData("Information IntegrationHub.Tenancy | Tenant 064110000000 Wissenschaftsstadt Darmstadt, 064380003003 Stadt Dreieich, service 99079005000000 Grundsicherung / Hilfe zum Lebensunterhalt (SGB XII), 99107004017000 Wohngeld (Mietzuschuss)")]
    [InlineData("Debug IntegrationHub.Signing | Signing certificate for 064130000000: thumbprint 3F2C9A4E1B7D4E3A9C610A8E2B4D6F1012345678, valid 2026-12-05 to 2036-12-05, key DE12345678901234567890ABCDEF0123")]
    [InlineData("Warning IntegrationHub.Delivery | Target marius answered 503 after 00:00:05.0123456; redelivery at 2026-12-05T05:00:00Z (attempt 3), Aktenzeichen 50.22.01-0042, Akte 50.21.02")]
    [InlineData("Information Microsoft.Hosting.Lifetime | Now listening on: http://127.0.0.1:5080 | properties: address=http://127.0.0.1:5080; {OriginalFormat}=Now listening on: {address};")]
    [InlineData("Debug Microsoft.EntityFrameworkCore.Database.Command | Executed DbCommand (3ms) [Parameters=[@p0='?' (DbType = Guid), @p1='?' (Size = 12)], CommandType='Text', CommandTimeout='30'] INSERT INTO \"Submissions\" (\"Id\", \"Ars\") VALUES (@p0, @p1);")]
    [InlineData("Information IntegrationHub.Operations | Retry batch 12 issued 500 of 10000 messages; elapsed 12345678901 ticks is no IdNr: 12345678901 fails the digit rule; Frankfurt am Main 60311")]
    [InlineData("activity MassTransit submission-delivery receive | tags: messaging.message_id=0a8e2b4d-6f10-4e3a-9c61-3f2c9a4e1b7d; messaging.destination.name=submission-delivery; hub.submission_id=3f2c9a4e-1b7d-4e3a-9c61-0a8e2b4d6f10; hub.target=dms; hub.step=2;")]
    [InlineData("Information IntegrationHub.OnceOnly | Evidence request 5b1e for LEISTUNGSBEZUG from 064130000000 to Sozialamt Darmstadt answered in 120 ms; Hauptstraße of the municipality file is no address without a number")]
    public void Passes_clean_hub_log_lines(string line) => PersonalDataScanner.Scan(line).Should().BeEmpty();

    [Fact]
    public void Masks_the_values_it_reports() =>
        new PersonalDataFinding("IBAN", "DE89370400440532013000").Masked.Should().Be("DE******************00");
}
