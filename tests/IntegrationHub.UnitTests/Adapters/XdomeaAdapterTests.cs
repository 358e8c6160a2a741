using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;
using IntegrationHub.Adapters.Dms;
using IntegrationHub.Simulators.Crypto;
using IntegrationHub.Simulators.Dms;
using IntegrationHub.UnitTests.Jose.Streaming;
using Microsoft.Extensions.Logging.Abstractions;
using static IntegrationHub.UnitTests.Adapters.DmsTargetFixture;

namespace IntegrationHub.UnitTests.Adapters;

/// <summary>The xdomea-style Geschäftsgang message: its structure, its container, and the DMS that files it.</summary>
public sealed class XdomeaAdapterTests(DmsTargetFixture fixture) : IClassFixture<DmsTargetFixture>, IDisposable
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly XNamespace X = XdomeaMessage.Namespace;
    private readonly HttpClient _http = new();

    private XdomeaAdapter Adapter => new(_http, NullLogger<XdomeaAdapter>.Instance);

    [Fact]
    public async Task Message_has_Nachrichtenkopf_Akte_Vorgang_Dokumente_and_its_primary_documents_in_the_ZIP()
    {
        var attachment = StreamingTestData.Plaintext(50_000, 31);
        var (submission, application) = await fixture.StoreAsync(attachment);
        var aktenzeichen = NewAktenzeichen();
        var call = fixture.Call(submission, "filing:antrag", Antrag(aktenzeichen), Tenant(), kind: XdomeaAdapter.KindName);
        var filing = await Filing.ReadAsync(call, None);

        var message = XdomeaMessage.Build(call, filing, "E-Akte Musterstadt");
        await using var container = await message.WriteContainerAsync(None);

        using var zip = new ZipArchive(container, ZipArchiveMode.Read);
        zip.Entries.Select(e => e.FullName).Should().BeEquivalentTo(
            [$"{message.ProzessId}_Geschaeftsgang.Geschaeftsgang.0201.xml", .. message.Files.Select(f => f.Name)]);
        XDocument xml;
        await using (var entry = await zip.GetEntry(message.MessageFileName)!.OpenAsync())
        {
            xml = XDocument.Load(entry);
        }

        var root = xml.Root!;
        root.Name.Should().Be(X + "Geschaeftsgang.Geschaeftsgang.0201");
        var kopf = root.Element(X + "Kopf")!;
        kopf.Element(X + "ProzessID")!.Value.Should().Be(message.ProzessId.ToString());
        kopf.Element(X + "Nachrichtentyp")!.Element(X + "code")!.Value.Should().Be("0201");
        kopf.Element(X + "Absender")!.Element(X + "Behoerdenkennung")!.Element(X + "Behoerdenschluessel")!.Value.Should().Be(submission.Ars);
        kopf.Element(X + "Empfaenger")!.Element(X + "Institution")!.Element(X + "Name")!.Value.Should().Be("E-Akte Musterstadt");
        var akte = root.Element(X + "Hauptobjekt")!.Element(X + "Akte")!;
        akte.Element(X + "AllgemeineMetadaten")!.Element(X + "Kennzeichen")!.Value.Should().Be("50.22.01");
        akte.Element(X + "AllgemeineMetadaten")!.Element(X + "Aktenplaneinheit")!.Element(X + "Kennzeichen")!.Value.Should().Be("50.22.01");
        var vorgang = akte.Element(X + "Akteninhalt")!.Element(X + "Vorgang")!;
        vorgang.Element(X + "AllgemeineMetadaten")!.Element(X + "Kennzeichen")!.Value.Should().Be(aktenzeichen);
        var dokumente = vorgang.Elements(X + "Dokument").ToList();
        dokumente.Select(d => d.Element(X + "Typ")!.Value).Should().Equal("Antrag", "Anlage");
        dokumente.Should().OnlyContain(d => d.Element(X + "FremdesGeschaeftszeichen")!.Value == submission.Id.ToString());
        var dateinamen = dokumente.Select(d => d.Element(X + "Version")!.Element(X + "Format")!.Element(X + "Primaerdokument")!.Element(X + "Dateiname")!.Value).ToList();
        dateinamen.Should().Equal(message.Files.Select(f => f.Name));
        (await Sha512Of(zip, dateinamen[0])).Should().Be(Sha512.Hex(application.Xml));
        (await Sha512Of(zip, dateinamen[1])).Should().Be(Sha512.Hex(attachment));
    }

    [Fact]
    public async Task Same_delivery_builds_the_same_message_ids()
    {
        var (submission, _) = await fixture.StoreAsync();
        var call = fixture.Call(submission, "filing:antrag", Antrag(NewAktenzeichen()), Tenant(), kind: XdomeaAdapter.KindName);
        var filing = await Filing.ReadAsync(call, None);

        var first = XdomeaMessage.Build(call, filing, "dms");
        var second = XdomeaMessage.Build(call, filing, "dms");

        second.ProzessId.Should().Be(first.ProzessId);
        second.Document.ToString().Should().Be(first.Document.ToString());
    }

    [Fact]
    public async Task DMS_files_the_xdomea_message_under_the_Aktenplan_key_and_a_replay_files_nothing_twice()
    {
        var attachment = StreamingTestData.Plaintext(300_000, 32);
        var (submission, _) = await fixture.StoreAsync(attachment);
        var aktenzeichen = NewAktenzeichen();
        var call = () => fixture.Call(submission, "filing:antrag", Antrag(aktenzeichen), Tenant(), kind: XdomeaAdapter.KindName);

        var first = await Adapter.DeliverAsync(call(), None);
        var objects = fixture.Dms.Objects.Count;
        var replay = await Adapter.DeliverAsync(call(), None);

        replay.Reference.Should().Be(first.Reference).And.StartWith("/dms/xdomea/nachrichten/");
        fixture.Dms.Objects.Count.Should().Be(objects);
        var filed = fixture.Dms.FiledUnder(aktenzeichen).Should().ContainSingle().Subject;
        filed.Akte.Property(DmsSchema.AktenplanKey).Should().Be("50.22.01");
        filed.Dokumente.Select(d => d.Property(DmsSchema.DocumentType)).Should().Equal("Antrag", "Anlage");
        filed.Dokumente.Should().OnlyContain(d => d.Channel == "xdomea" && d.Property(DmsSchema.SubmissionId) == submission.Id.ToString());
        filed.Dokumente[1].Content!.Sha512.Should().Be(Sha512.Hex(attachment));
        filed.Dokumente[1].Property(DmsSchema.FileName).Should().Be("nachweis-0.pdf");
        fixture.Dms.XdomeaMessages.Should().ContainSingle(m => m.VorgangId == filed.Vorgang.Id).Which.Deliveries.Should().Be(2);
    }

    [Fact]
    public async Task Container_without_the_named_primary_document_is_refused_and_nothing_is_filed()
    {
        var (submission, _) = await fixture.StoreAsync(StreamingTestData.Plaintext(1000, 33));
        var aktenzeichen = NewAktenzeichen();
        var call = fixture.Call(submission, "filing:antrag", Antrag(aktenzeichen), Tenant(), kind: XdomeaAdapter.KindName);
        var message = XdomeaMessage.Build(call, await Filing.ReadAsync(call, None), "dms");
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            await using var entry = await archive.CreateEntry(message.MessageFileName).OpenAsync();
            message.Document.Save(entry);
        }

        using var response = await PostAsync(zip.ToArray());

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("xdomea-primaerdokument-missing");
        fixture.Dms.FiledUnder(aktenzeichen).Should().BeEmpty();
    }

    [Fact]
    public async Task Body_that_is_no_ZIP_container_is_refused()
    {
        using var response = await PostAsync(Encoding.UTF8.GetBytes("<xml/>"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("xdomea-not-a-zip");
    }

    private async Task<HttpResponseMessage> PostAsync(byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(fixture.Server.BaseAddress, "dms/xdomea/nachrichten"))
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return await _http.SendAsync(request);
    }

    private static async Task<string> Sha512Of(ZipArchive zip, string name)
    {
        await using var entry = await zip.GetEntry(name)!.OpenAsync();
        using var copy = new MemoryStream();
        await entry.CopyToAsync(copy);
        return Sha512.Hex(copy.ToArray());
    }

    public void Dispose() => _http.Dispose();
}
