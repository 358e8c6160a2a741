using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Serialization;
using IntegrationHub.Contracts;
using IntegrationHub.Contracts.Xoev.Common;
using IntegrationHub.Contracts.Xoev.Nachweis;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Simulators.Evidence;

namespace IntegrationHub.UnitTests.Simulators;

/// <summary>The evidence provider simulators spoken to over HTTP with nachweis.anfrage.0001, as the hub will.</summary>
public sealed class EvidenceProviderSimulatorTests : IAsyncLifetime
{
    private SimulatorServer _server = null!;
    private HttpClient _http = null!;

    private EvidenceProviderSimulator Evidence => _server.Evidence;

    public async Task InitializeAsync()
    {
        _server = await SimulatorServer.StartAsync();
        _http = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private static NachweisAnfrage0001 Anfrage(NachweisartType art, string? idNr = null, RegisteredPerson? person = null, Wohnanschrift? anschrift = null,
        NachweisartType[]? einwilligung = null, Guid? anfrageId = null)
    {
        var requester = new BehoerdeType
        {
            Verzeichnisdienst = new CodeType { Code = "ARS", ListURI = "urn:integrationhub:xoev:codeliste:verzeichnisdienst", ListVersionID = "1.0" },
            Kennung = EvidenceDefaults.Ars,
            Name = "Sozialamt Musterstadt",
        };
        var anfrage = new NachweisAnfrage0001
        {
            Nachrichtenkopf = new NachrichtenkopfType
            {
                NachrichtUUID = Guid.NewGuid().ToString(),
                Nachrichtentyp = new CodeType { Code = XoevSchemas.NachweisAnfrageElement, ListURI = XoevSchemas.NachrichtentypListUri, ListVersionID = "1.0" },
                Erstellungszeitpunkt = DateTime.UtcNow,
                Autor = requester,
                Leser = new BehoerdeType { Verzeichnisdienst = new CodeType { Code = "NACHWEISANBIETER" }, Kennung = "register", Name = "Register" },
            },
            AnfrageId = (anfrageId ?? Guid.NewGuid()).ToString(),
            AnfragendeStelle = new AnfragendeStelleType { Ars = EvidenceDefaults.Ars, Behoerde = "Sozialamt Musterstadt", Verfahren = "prosoz" },
            Zweck = new ZweckType { Code = "SGB_XII_LEISTUNGSPRUEFUNG", Text = "Prüfung vorrangiger Leistungen" },
            Rechtsgrundlage = einwilligung is null ? new RechtsgrundlageType { Code = "SGB_X_67A", Text = "§ 67a SGB X" } : null,
            Einwilligung = einwilligung is null ? null : new NachweisEinwilligungType { Referenz = "submission:test", Umfang = [.. einwilligung] },
            Nachweisart = art,
            AngefragtAm = DateTime.UtcNow,
        };
        if (idNr is not null)
        {
            anfrage.Person.Identifikationsnummer = idNr;
        }
        else
        {
            var p = person!;
            var a = anschrift ?? EvidenceDefaults.Heidestrasse17;
            anfrage.Person.Personendaten = new PersonendatenType
            {
                Familienname = p.Familienname,
                Vorname = p.Vorname,
                Geburtsdatum = p.Geburtsdatum.ToDateTime(TimeOnly.MinValue),
                Anschrift = new AnschriftType { Strasse = a.Strasse, Hausnummer = a.Hausnummer, Postleitzahl = a.Postleitzahl, Ort = a.Ort },
            };
        }

        return anfrage;
    }

    private static string Xml(object message)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            new XmlSerializer(message.GetType()).Serialize(writer, message, XoevSchemas.CreateSerializerNamespaces());
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private async Task<HttpResponseMessage> PostAsync(string provider, string body, string mediaType = "application/xml") =>
        await _http.PostAsync($"evidence/{provider}/anfragen", new StringContent(body, Encoding.UTF8, mediaType));

    /// <summary>Posts, expects 200 with a schema-valid answer, and returns its bytes and root name.</summary>
    private async Task<(byte[] Body, string Root)> AskAsync(string provider, NachweisAnfrage0001 anfrage)
    {
        using var response = await PostAsync(provider, Xml(anfrage));
        var body = await response.Content.ReadAsByteArrayAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, Encoding.UTF8.GetString(body));
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/xml");
        SimulatorTestSupport.SchemaErrors(body).Should().BeEmpty();
        return (body, System.Xml.Linq.XDocument.Load(new MemoryStream(body)).Root!.Name.LocalName);
    }

    private static T Read<T>(byte[] body)
    {
        using var reader = XmlReader.Create(new MemoryStream(body), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        return (T)new XmlSerializer(typeof(T)).Deserialize(reader)!;
    }

    private async Task<NachweisAblehnung0003> RefusedAsync(string provider, NachweisAnfrage0001 anfrage)
    {
        var (body, root) = await AskAsync(provider, anfrage);
        root.Should().Be(XoevSchemas.NachweisAblehnungElement);
        var ablehnung = Read<NachweisAblehnung0003>(body);
        ablehnung.BezugAnfrageId.Should().Be(anfrage.AnfrageId);
        return ablehnung;
    }

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    [Fact]
    public async Task Melderegister_finds_a_person_by_idnr_with_address_household_and_certificate()
    {
        var anfrage = Anfrage(NachweisartType.Meldedaten, idNr: EvidenceDefaults.ErikaMustermann.IdNr);

        var (body, root) = await AskAsync(Melderegister.ProviderName, anfrage);

        root.Should().Be(XoevSchemas.NachweisAntwortElement);
        var antwort = Read<NachweisAntwort0002>(body);
        antwort.BezugAnfrageId.Should().Be(anfrage.AnfrageId);
        antwort.Anbieter.Kennung.Should().Be("melderegister");
        antwort.Nachweisart.Should().Be(NachweisartType.Meldedaten);
        antwort.Nachrichtenkopf.Leser.Kennung.Should().Be(EvidenceDefaults.Ars, "the answer goes back to whoever asked");
        var melde = antwort.Nachweisdaten!.Meldedaten!;
        melde.Person.Vorname.Should().Be("Erika");
        melde.Anschrift.Strasse.Should().Be("Heidestraße");
        melde.Anschrift.Hausnummer.Should().Be("17");
        melde.Einzugsdatum.Should().Be(new DateTime(2019, 4, 1));
        melde.Mitbewohner.Select(m => m.Vorname).Should().BeEquivalentTo("Max", "Lena");
        antwort.Dokument!.MimeType.Should().Be("application/pdf");
        antwort.Dokument.HashSha512.Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData(antwort.Dokument.Inhalt)));

        var call = Evidence.Melderegister.Calls.Should().ContainSingle().Subject;
        call.Should().BeEquivalentTo(new
        {
            Status = 200, Outcome = "ANTWORT", AnfrageId = Guid.Parse(anfrage.AnfrageId), Nachweisart = "MELDEDATEN",
            Zweck = "SGB_XII_LEISTUNGSPRUEFUNG", Basis = "RECHTSGRUNDLAGE:SGB_X_67A", RequesterArs = EvidenceDefaults.Ars, Repeat = false,
        });
    }

    [Fact]
    public async Task Sozialamt_finds_a_person_by_name_and_birth_date_and_reports_the_ongoing_benefit()
    {
        var anfrage = Anfrage(NachweisartType.Leistungsbezug, person: EvidenceDefaults.HorstBeispiel with { IdNr = null, Vorname = " horst " },
            anschrift: EvidenceDefaults.Lindenweg8, einwilligung: [NachweisartType.Leistungsbezug]);

        var (body, root) = await AskAsync(Sozialamt.ProviderName, anfrage);

        root.Should().Be(XoevSchemas.NachweisAntwortElement);
        var leistung = Read<NachweisAntwort0002>(body).Nachweisdaten!.Leistungsbezug!;
        leistung.Leistung.Should().Be(LeistungType.SgbXiiGrundsicherung);
        leistung.Seit.Should().Be(new DateTime(2024, 7, 1));
        leistung.Aktenzeichen.Should().Be("50.2-GS-2024-0815");
        leistung.Laufend.Should().BeTrue();
        Evidence.Sozialamt.Calls.Single().Basis.Should().Be("EINWILLIGUNG:submission:test");
    }

    [Fact]
    public async Task A_person_the_register_does_not_know_is_refused_as_not_found()
    {
        var stranger = new RegisteredPerson(null, "Unbekannt", "Nora", new DateOnly(1980, 1, 1));

        var ablehnung = await RefusedAsync(Melderegister.ProviderName, Anfrage(NachweisartType.Meldedaten, person: stranger));

        ablehnung.Grund.Should().Be(AblehnungsgrundType.PersonNichtGefunden);
        ablehnung.Anbieter.Kennung.Should().Be("melderegister");
        Evidence.Melderegister.Calls.Single().Outcome.Should().Be("ABLEHNUNG:PERSON_NICHT_GEFUNDEN");
    }

    [Fact]
    public async Task A_provider_asked_for_another_nachweisart_refuses_as_not_responsible()
    {
        var ablehnung = await RefusedAsync(
            Auslaenderbehoerde.ProviderName, Anfrage(NachweisartType.Einkommen, idNr: EvidenceDefaults.AylinDemir.IdNr));

        ablehnung.Grund.Should().Be(AblehnungsgrundType.NichtZustaendig);
    }

    [Fact]
    public async Task Consent_that_does_not_cover_the_nachweisart_is_refused()
    {
        var ablehnung = await RefusedAsync(Rentenregister.ProviderName,
            Anfrage(NachweisartType.Einkommen, idNr: EvidenceDefaults.HorstBeispiel.IdNr, einwilligung: [NachweisartType.Meldedaten]));

        ablehnung.Grund.Should().Be(AblehnungsgrundType.EinwilligungFehlt);
    }

    [Fact]
    public async Task A_legal_basis_outside_the_providers_list_is_refused()
    {
        Evidence.Auslaenderbehoerde.AcceptedLegalBases.Add("AUFENTHG_87");

        var ablehnung = await RefusedAsync(Auslaenderbehoerde.ProviderName, Anfrage(NachweisartType.Aufenthaltstitel, idNr: EvidenceDefaults.AylinDemir.IdNr));

        ablehnung.Grund.Should().Be(AblehnungsgrundType.KeineRechtsgrundlage);
    }

    [Fact]
    public async Task Ausländerbehörde_answers_with_the_permit_and_its_validity()
    {
        var (body, _) = await AskAsync(Auslaenderbehoerde.ProviderName, Anfrage(NachweisartType.Aufenthaltstitel, idNr: EvidenceDefaults.AylinDemir.IdNr));

        var antwort = Read<NachweisAntwort0002>(body);
        antwort.Nachweisdaten!.Aufenthaltstitel!.Titelart.Should().Contain("§ 25 Abs. 2 AufenthG");
        antwort.GueltigBis.Should().Be(new DateTime(2027, 1, 31));
    }

    [Fact]
    public async Task Two_people_with_the_same_name_and_birth_date_are_refused_as_ambiguous()
    {
        var twin = EvidenceDefaults.MaxMustermann with { IdNr = "11111111116" };
        Evidence.Rentenregister.Register(twin, 900m, new DateOnly(2026, 1, 1), new DateOnly(2026, 1, 31));

        var ablehnung = await RefusedAsync(Rentenregister.ProviderName,
            Anfrage(NachweisartType.Einkommen, person: EvidenceDefaults.MaxMustermann with { IdNr = null }));

        ablehnung.Grund.Should().Be(AblehnungsgrundType.PersonNichtEindeutig);
    }

    [Fact]
    public async Task A_schema_invalid_request_gets_a_422_problem_without_the_offending_value()
    {
        var xml = Xml(Anfrage(NachweisartType.Meldedaten, idNr: EvidenceDefaults.ErikaMustermann.IdNr))
            .Replace(EvidenceDefaults.ErikaMustermann.IdNr!, "6592997048X", StringComparison.Ordinal);

        using var response = await PostAsync(Melderegister.ProviderName, xml);

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        var problem = await ProblemAsync(response);
        problem["type"]!.GetValue<string>().Should().Be("urn:integrationhub:simulator:evidence-melderegister:schema-invalid");
        problem["errors"]!.AsArray().Should().NotBeEmpty();
        problem.ToJsonString().Should().NotContain("6592997048X");
        Evidence.Melderegister.Calls.Single().Should().BeEquivalentTo(new { Status = 422, Outcome = "schema-invalid", AnfrageId = (Guid?)null });
    }

    [Fact]
    public async Task Another_message_than_an_anfrage_is_refused_with_422()
    {
        var xml = File.ReadAllText(Path.Combine(RepoRoot(), "xsd", "examples", "nachweis.ablehnung.0003.xml"));

        using var response = await PostAsync(Melderegister.ProviderName, xml);

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        (await ProblemAsync(response))["type"]!.GetValue<string>().Should().EndWith(":wrong-message");
    }

    [Fact]
    public async Task A_request_with_a_dtd_is_refused_with_400_and_no_entity_is_expanded()
    {
        var xml = Xml(Anfrage(NachweisartType.Meldedaten, idNr: EvidenceDefaults.ErikaMustermann.IdNr));
        xml = xml.Replace("<?xml version=\"1.0\" encoding=\"utf-8\"?>", "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>", StringComparison.Ordinal);
        xml.Should().Contain("<!DOCTYPE");

        using var response = await PostAsync(Melderegister.ProviderName, xml);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ProblemAsync(response))["type"]!.GetValue<string>().Should().EndWith(":dtd-prohibited");
    }

    [Fact]
    public async Task Malformed_xml_gets_400_and_a_non_xml_body_415()
    {
        using var malformed = await PostAsync(Melderegister.ProviderName, "<nw:nachweis.anfrage.0001");
        using var json = await PostAsync(Melderegister.ProviderName, "{}", "application/json");

        malformed.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ProblemAsync(malformed))["type"]!.GetValue<string>().Should().EndWith(":xml-malformed");
        json.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task An_unknown_provider_is_404()
    {
        using var response = await PostAsync("kfz-register", "<x/>");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_repeated_anfrageId_gets_the_same_answer_even_with_a_new_header()
    {
        var first = Anfrage(NachweisartType.Meldedaten, idNr: EvidenceDefaults.ErikaMustermann.IdNr);
        var retry = Anfrage(NachweisartType.Meldedaten, idNr: EvidenceDefaults.ErikaMustermann.IdNr, anfrageId: Guid.Parse(first.AnfrageId));

        var (a, _) = await AskAsync(Melderegister.ProviderName, first);
        // Moving the person meanwhile must not change the answer to the same request.
        Evidence.Melderegister.Register(EvidenceDefaults.ErikaMustermann, EvidenceDefaults.Lindenweg8, new DateOnly(2026, 2, 1));
        var (b, _) = await AskAsync(Melderegister.ProviderName, retry);

        b.Should().Equal(a);
        Evidence.Melderegister.Calls.Select(c => c.Repeat).Should().Equal(false, true);

        var changed = Anfrage(NachweisartType.Meldedaten, idNr: EvidenceDefaults.MaxMustermann.IdNr, anfrageId: Guid.Parse(first.AnfrageId));
        using var conflict = await PostAsync(Melderegister.ProviderName, Xml(changed));
        conflict.StatusCode.Should().Be(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task An_injected_outage_answers_503_with_retry_after_and_the_provider_recovers()
    {
        using (var command = await _http.PostAsync("_faults/evidence-sozialamt",
            new StringContent("{\"outage\":\"00:05:00\",\"retryAfter\":\"00:00:30\"}", Encoding.UTF8, "application/json")))
        {
            command.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        var anfrage = Anfrage(NachweisartType.Leistungsbezug, idNr: EvidenceDefaults.HorstBeispiel.IdNr);
        using (var down = await PostAsync(Sozialamt.ProviderName, Xml(anfrage)))
        {
            down.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            down.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(30));
            (await ProblemAsync(down))["type"]!.GetValue<string>().Should().Be("urn:integrationhub:simulator:evidence-sozialamt:outage");
        }

        Evidence.Sozialamt.Calls.Should().BeEmpty("the outage answered before the request was read");
        (await AskAsync(Melderegister.ProviderName, Anfrage(NachweisartType.Meldedaten, idNr: EvidenceDefaults.ErikaMustermann.IdNr))).Root
            .Should().Be(XoevSchemas.NachweisAntwortElement, "only the Sozialamt is down");

        Evidence.Sozialamt.Faults.EndOutage();
        (await AskAsync(Sozialamt.ProviderName, anfrage)).Root.Should().Be(XoevSchemas.NachweisAntwortElement);
    }

    [Fact]
    public async Task The_applicant_of_a_wohngeld_application_can_be_registered_at_another_address()
    {
        var application = ApplicationFactory.Wohngeld(SimulatorTestSupport.Ars, SimulatorTestSupport.Plz, SimulatorTestSupport.Ort, seed: 7);
        var elsewhere = new Wohnanschrift("Bahnhofstraße", "99", "63067", "Musterstadt", SimulatorTestSupport.Ars);

        var applicant = Evidence.Melderegister.RegisterApplicant(application, elsewhere, new DateOnly(2025, 10, 1));

        var wohngeld = System.Xml.Linq.XDocument.Load(new MemoryStream(application.Xml)).Root!;
        var ihc = System.Xml.Linq.XNamespace.Get(XoevSchemas.CommonNamespace);
        var antragsteller = wohngeld.Element(ihc + "antragsteller")!;
        applicant.Person.IdNr.Should().Be(antragsteller.Element(ihc + "identifikationsnummer")!.Value);
        applicant.Anschrift.Strasse.Should().Be(antragsteller.Element(ihc + "anschrift")!.Element(ihc + "strasse")!.Value);

        var (body, _) = await AskAsync(Melderegister.ProviderName, Anfrage(NachweisartType.Meldedaten, idNr: applicant.Person.IdNr));
        var melde = Read<NachweisAntwort0002>(body).Nachweisdaten!.Meldedaten!;
        melde.Anschrift.Strasse.Should().Be("Bahnhofstraße");
        melde.Person.Familienname.Should().Be(applicant.Person.Familienname);
        melde.Mitbewohner.Should().HaveCount(applicant.Haushalt.Count);
    }

    [Fact]
    public async Task Reset_restores_the_default_registers_and_forgets_calls()
    {
        Evidence.Melderegister.Clear();
        (await RefusedAsync(Melderegister.ProviderName, Anfrage(NachweisartType.Meldedaten, idNr: EvidenceDefaults.ErikaMustermann.IdNr)))
            .Grund.Should().Be(AblehnungsgrundType.PersonNichtGefunden);

        Evidence.Reset();

        Evidence.Melderegister.Calls.Should().BeEmpty();
        Evidence.Melderegister.Entries.Should().HaveCount(5);
        (await AskAsync(Melderegister.ProviderName, Anfrage(NachweisartType.Meldedaten, idNr: EvidenceDefaults.ErikaMustermann.IdNr))).Root
            .Should().Be(XoevSchemas.NachweisAntwortElement);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "IntegrationHub.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("IntegrationHub.sln not found.");
    }
}
