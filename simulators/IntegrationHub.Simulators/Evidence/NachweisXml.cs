using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Schema;
using System.Xml.Serialization;
using IntegrationHub.Contracts;
using IntegrationHub.Contracts.Xoev.Common;
using IntegrationHub.Contracts.Xoev.Nachweis;
using IntegrationHub.Simulators.Procedures;

namespace IntegrationHub.Simulators.Evidence;

/// <summary>A refused request: status, problem kind, title, detail and (for schema errors) the findings, values redacted.</summary>
internal sealed record AnfrageProblem(int Status, string Kind, string Title, string Detail, JsonArray? Errors = null);

/// <summary>Reading requests safely and writing answers of ih-nachweis-1.0.xsd.</summary>
internal static partial class NachweisXml
{
    public const string ProviderVerzeichnisdienst = "NACHWEISANBIETER";

    private static readonly XmlSerializer AnfrageSerializer = new(typeof(NachweisAnfrage0001));
    private static readonly XmlSerializer AntwortSerializer = new(typeof(NachweisAntwort0002));
    private static readonly XmlSerializer AblehnungSerializer = new(typeof(NachweisAblehnung0003));

    // A compiled XmlSchemaSet is not documented as safe for parallel validation; validation is quick.
    private static readonly object SchemaValidationGate = new();

    /// <summary>
    /// Parses and validates a request: DTDs prohibited, nothing resolved, at most <see cref="EvidenceProvider.MaxRequestBytes"/>
    /// characters; the root must be <c>nachweis.anfrage.0001</c> and the document valid against the hub's schemas.
    /// </summary>
    public static (NachweisAnfrage0001? Anfrage, AnfrageProblem? Problem) ReadAnfrage(byte[] body)
    {
        var errors = new JsonArray();
        var settings = SafeSettings();
        settings.ValidationType = ValidationType.Schema;
        settings.Schemas = XoevSchemas.Load();
        settings.ValidationFlags = XmlSchemaValidationFlags.ReportValidationWarnings;
        settings.ValidationEventHandler += (_, e) =>
        {
            if (errors.Count < 20)
            {
                errors.Add(new JsonObject
                {
                    ["severity"] = e.Severity == XmlSeverityType.Error ? "error" : "warning",
                    ["line"] = e.Exception?.LineNumber ?? 0,
                    ["position"] = e.Exception?.LinePosition ?? 0,
                    ["message"] = ValueQuote().Replace(e.Message, "value '***'"),
                });
            }
        };

        XmlQualifiedName? root = null;
        lock (SchemaValidationGate)
        {
            try
            {
                using var reader = XmlReader.Create(new MemoryStream(body, writable: false), settings);
                while (reader.Read())
                {
                    if (root is null && reader.NodeType == XmlNodeType.Element)
                    {
                        root = new XmlQualifiedName(reader.LocalName, reader.NamespaceURI);
                    }
                }
            }
            catch (XmlException e)
            {
                return (null, e.Message.Contains("DTD", StringComparison.OrdinalIgnoreCase)
                    ? new AnfrageProblem(400, "dtd-prohibited", "DTD prohibited", "Document type declarations are not accepted.")
                    : new AnfrageProblem(400, "xml-malformed", "Malformed XML", $"The body is not well-formed XML (line {e.LineNumber}, position {e.LinePosition})."));
            }
        }

        if (root != new XmlQualifiedName(XoevSchemas.NachweisAnfrageElement, XoevSchemas.NachweisNamespace))
        {
            return (null, new AnfrageProblem(
                422, "wrong-message", "Not an evidence request",
                $"Expected {{{XoevSchemas.NachweisNamespace}}}{XoevSchemas.NachweisAnfrageElement}, got {{{root?.Namespace}}}{root?.Name}."));
        }

        if (errors.Count > 0)
        {
            return (null, new AnfrageProblem(422, "schema-invalid", "Schema-invalid request", "The request does not match ih-nachweis-1.0.xsd.", errors));
        }

        using var again = XmlReader.Create(new MemoryStream(body, writable: false), SafeSettings());
        return ((NachweisAnfrage0001)AnfrageSerializer.Deserialize(again)!, null);
    }

    /// <summary>The header of an answer: from the provider to whoever wrote the request.</summary>
    public static NachrichtenkopfType Kopf(string nachrichtentyp, DateTime now, string kennung, string name, BehoerdeType requester) => new()
    {
        NachrichtUUID = Guid.NewGuid().ToString(),
        Nachrichtentyp = new CodeType { Code = nachrichtentyp, ListURI = XoevSchemas.NachrichtentypListUri, ListVersionID = XoevSchemas.NachrichtentypListVersion },
        Erstellungszeitpunkt = now,
        Autor = new BehoerdeType
        {
            Verzeichnisdienst = new CodeType { Code = ProviderVerzeichnisdienst, ListURI = XoevNames.VerzeichnisdienstList, ListVersionID = "1.0" },
            Kennung = kennung,
            Name = name,
        },
        Leser = requester,
    };

    public static HandoverResponse Answer(NachweisAntwort0002 antwort) => Xml(AntwortSerializer, antwort);

    public static HandoverResponse Answer(NachweisAblehnung0003 ablehnung) => Xml(AblehnungSerializer, ablehnung);

    /// <summary>The XML literal of a generated enum value (<c>NachweisartType.Meldedaten</c> → <c>MELDEDATEN</c>).</summary>
    public static string Code<T>(T value)
        where T : struct, Enum =>
        typeof(T).GetField(value.ToString())?.GetCustomAttribute<XmlEnumAttribute>()?.Name ?? value.ToString();

    private static HandoverResponse Xml(XmlSerializer serializer, object message)
    {
        var namespaces = new XmlSerializerNamespaces();
        namespaces.Add("nw", XoevSchemas.NachweisNamespace);
        namespaces.Add("ihc", XoevSchemas.CommonNamespace);
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            serializer.Serialize(writer, message, namespaces);
        }

        return new HandoverResponse(200, HandoverResponse.Xml + "; charset=utf-8", buffer.ToArray());
    }

    private static XmlReaderSettings SafeSettings() => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = EvidenceProvider.MaxRequestBytes,
        MaxCharactersFromEntities = 1024,
    };

    /// <summary>Schema messages quote the offending value; that may be personal data, so it is dropped.</summary>
    [GeneratedRegex("value '[^']*'", RegexOptions.CultureInvariant)]
    private static partial Regex ValueQuote();
}
