using System.Text;
using System.Xml;
using IntegrationHub.Problems;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;

namespace IntegrationHub.UnitTests.Validation;

/// <summary>The municipality, services and helpers the hub-piece tests share.</summary>
internal static class HubTestData
{
    public const string Ars = "064350014014";
    public const string Plz = "63067";
    public const string Ort = "Musterstadt";

    /// <summary>Another municipality (Frankfurt am Main) for "wrong municipality" cases.</summary>
    public const string OtherArs = "064120000000";
    public const string OtherPlz = "60311";
    public const string OtherOrt = "Frankfurt am Main";

    public const long MaxXmlCharacters = 16 * 1024 * 1024;

    public static ServiceOptions WohngeldService => new()
    {
        LeikaKey = DemoServices.WohngeldLeikaKey,
        Name = DemoServices.WohngeldName,
        SchemaUri = DemoServices.WohngeldSchemaUri,
    };

    public static ServiceOptions SozialhilfeService => new()
    {
        LeikaKey = DemoServices.SozialhilfeLeikaKey,
        Name = DemoServices.SozialhilfeName,
        SchemaUri = DemoServices.SozialhilfeSchemaUri,
    };

    public static string Text(byte[] xml) => Encoding.UTF8.GetString(xml);

    public static byte[] Bytes(string xml) => Encoding.UTF8.GetBytes(xml);

    /// <summary>Every text value of the document that could be personal data (long enough to be recognisable).</summary>
    public static IReadOnlyList<string> PersonalValues(byte[] xml)
    {
        var doc = new XmlDocument { XmlResolver = null };
        using (var reader = XmlReader.Create(new MemoryStream(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null }))
        {
            doc.Load(reader);
        }

        return doc.SelectNodes("//*[not(*)]")!.Cast<XmlElement>()
            .Select(e => e.InnerText.Trim())
            // Element names may appear in a detail; the message type code equals the root element's name.
            .Where(v => v.Length >= 5 && v != "false" && v != ApplicationFactory.WohngeldRoot && v != ApplicationFactory.SozialhilfeRoot)
            .Distinct()
            .ToList();
    }

    /// <summary>Runs the action and returns the SubmissionProblemException it must throw, checked for the problem type.</summary>
    public static SubmissionProblemException Problem(Action act, ProblemType expected)
    {
        var ex = act.Should().Throw<SubmissionProblemException>().Which;
        ex.Type.Should().Be(expected, "the detail was: {0}", ex.Message);
        ex.Type.Uri.Should().Be(ProblemType.Prefix + expected.Name);
        return ex;
    }

    public static async Task<SubmissionProblemException> ProblemAsync(Func<Task> act, ProblemType expected)
    {
        var ex = (await act.Should().ThrowAsync<SubmissionProblemException>()).Which;
        ex.Type.Should().Be(expected, "the detail was: {0}", ex.Message);
        return ex;
    }
}
