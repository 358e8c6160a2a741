using System.Text;
using System.Xml;
using IntegrationHub.Signing;

namespace IntegrationHub.UnitTests.Signing;

public sealed class SafeXmlTests
{
    [Fact]
    public void Loads_plain_xml_and_keeps_whitespace()
    {
        var doc = SafeXml.Load(Encoding.UTF8.GetBytes("<a>\n  <b> x </b>\n</a>"), 1024);

        doc.PreserveWhitespace.Should().BeTrue();
        doc.DocumentElement!.ChildNodes.Count.Should().Be(3);
        doc.DocumentElement.InnerXml.Should().Be("\n  <b> x </b>\n");
    }

    [Theory]
    [InlineData("""<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>""")]
    [InlineData("""<?xml version="1.0"?><!DOCTYPE a [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;">]><a>&l2;</a>""")]
    [InlineData("""<?xml version="1.0"?><!DOCTYPE a SYSTEM "http://example.invalid/a.dtd"><a/>""")]
    public void Refuses_any_DTD(string xml)
    {
        var act = () => SafeXml.Load(Encoding.UTF8.GetBytes(xml), 1024);

        act.Should().Throw<XmlException>();
    }

    [Fact]
    public void Refuses_undeclared_entities()
    {
        var act = () => SafeXml.Load("<a>&x;</a>"u8.ToArray(), 1024);

        act.Should().Throw<XmlException>();
    }

    [Fact]
    public void Enforces_the_size_limit_for_arrays_and_streams()
    {
        var xml = Encoding.UTF8.GetBytes("<a>" + new string('x', 5000) + "</a>");

        ((Action)(() => SafeXml.Load(xml, 1000))).Should().Throw<XmlSizeLimitException>();
        ((Action)(() => SafeXml.Load(new MemoryStream(xml), 1000))).Should().Throw<XmlSizeLimitException>();
        SafeXml.Load(new MemoryStream(xml), xml.Length).DocumentElement!.InnerText.Should().HaveLength(5000);
    }

    [Fact]
    public void ToBytes_writes_utf8_without_bom_and_without_reformatting()
    {
        var doc = SafeXml.Load("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>\n <b/>\n</a>"u8.ToArray(), 1024);

        var bytes = SafeXml.ToBytes(doc);

        bytes.Take(3).Should().NotEqual(new byte[] { 0xEF, 0xBB, 0xBF });
        Encoding.UTF8.GetString(bytes).Should().EndWith("<a>\n <b />\n</a>");
    }
}
