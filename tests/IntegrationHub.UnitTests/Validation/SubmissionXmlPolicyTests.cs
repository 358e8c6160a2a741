using System.Text;
using IntegrationHub.Problems;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using static IntegrationHub.UnitTests.Validation.HubTestData;

namespace IntegrationHub.UnitTests.Validation;

/// <summary>The intake's policy for application XML (<see cref="XmlContractValidator.LoadSubmission"/>): one problem type per breach.</summary>
public sealed class SubmissionXmlPolicyTests
{
    private static readonly IntakeLimits Limits = new() { MaxXmlDepth = 16, MaxXmlValueCharacters = 1000 };

    private static string Valid => Text(ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 5).Xml);

    private static string AfterDeclaration(string xml, string insert)
    {
        var end = xml.IndexOf("?>", StringComparison.Ordinal) + 2;
        return xml[..end] + insert + xml[end..];
    }

    private static string InRoot(string xml, string insert)
    {
        var root = xml.IndexOf('>', xml.IndexOf('<', xml.IndexOf("?>", StringComparison.Ordinal))) + 1;
        return xml[..root] + insert + xml[root..];
    }

    public static TheoryData<string, byte[], string> Breaches() => new()
    {
        { "DOCTYPE with an external entity", Bytes(AfterDeclaration(Valid, "<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>")), ProblemTypes.XmlDtdProhibited.Name },
        { "DOCTYPE with a parameter entity", Bytes(AfterDeclaration(Valid, "<!DOCTYPE r [<!ENTITY % p SYSTEM \"http://x.invalid/\"> %p;]>")), ProblemTypes.XmlDtdProhibited.Name },
        { "17 levels of nesting", Bytes(InRoot(Valid, string.Concat(Enumerable.Repeat("<x>", 17)) + string.Concat(Enumerable.Repeat("</x>", 17)))), ProblemTypes.XmlLimitExceeded.Name },
        { "an attribute value of 1001 characters", Bytes(InRoot(Valid, $"<x a=\"{new string('a', 1001)}\"/>")), ProblemTypes.XmlLimitExceeded.Name },
        { "a text node of 1001 characters", Bytes(InRoot(Valid, $"<x>{new string('a', 1001)}</x>")), ProblemTypes.XmlLimitExceeded.Name },
        { "a comment of 1001 characters", Bytes(InRoot(Valid, $"<!--{new string('a', 1001)}-->")), ProblemTypes.XmlLimitExceeded.Name },
        { "a UTF-16 byte order mark", [.. Encoding.Unicode.GetPreamble(), .. Encoding.Unicode.GetBytes(Valid.Replace("utf-8", "utf-16", StringComparison.Ordinal))], ProblemTypes.XmlEncodingInvalid.Name },
        { "UTF-16 without byte order mark", Encoding.BigEndianUnicode.GetBytes(Valid.Replace("utf-8", "utf-16", StringComparison.Ordinal)), ProblemTypes.XmlEncodingInvalid.Name },
        { "ISO-8859-1 declared", Bytes(Valid.Replace("utf-8", "ISO-8859-1", StringComparison.Ordinal)), ProblemTypes.XmlEncodingInvalid.Name },
        { "a byte that is not UTF-8", [.. Bytes(Valid)[..60], 0xFF, .. Bytes(Valid)[60..]], ProblemTypes.XmlEncodingInvalid.Name },
        { "a processing instruction", Bytes(InRoot(Valid, "<?pi x?>")), ProblemTypes.XmlProcessingInstruction.Name },
        { "the root in another namespace", Bytes(Valid.Replace(DemoServices.SozialhilfeSchemaUri, "urn:x", StringComparison.Ordinal)), ProblemTypes.XmlNamespaceInvalid.Name },
        { "not well-formed", Bytes(Valid[..^20]), ProblemTypes.XmlMalformed.Name },
    };

    [Theory]
    [MemberData(nameof(Breaches))]
    public void Each_breach_of_the_policy_is_its_own_problem(string breach, byte[] xml, string problem)
    {
        var act = () => XmlContractValidator.LoadSubmission(xml, Limits, DemoServices.SozialhilfeSchemaUri);

        act.Should().Throw<SubmissionProblemException>(breach).Which.Type.Name.Should().Be(problem, breach);
    }

    [Fact]
    public void A_valid_application_with_UTF8_byte_order_mark_comments_and_values_up_to_the_limits_loads()
    {
        var xml = Bytes(InRoot(Valid, $"<!--{new string('a', 1000)}-->"));

        var document = XmlContractValidator.LoadSubmission([0xEF, 0xBB, 0xBF, .. xml], Limits, DemoServices.SozialhilfeSchemaUri);

        document.DocumentElement!.NamespaceURI.Should().Be(DemoServices.SozialhilfeSchemaUri);
    }

    [Fact]
    public void Problem_details_name_the_limit_but_never_the_value()
    {
        var act = () => XmlContractValidator.LoadSubmission(Bytes(InRoot(Valid, $"<x a=\"GEHEIM{new string('a', 1001)}\"/>")), Limits, DemoServices.SozialhilfeSchemaUri);

        act.Should().Throw<SubmissionProblemException>().Which.Message.Should().Contain("1000").And.NotContain("GEHEIM");
    }
}
