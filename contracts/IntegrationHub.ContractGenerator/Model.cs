namespace IntegrationHub.ContractGenerator;

/// <summary>A C# type to emit (class or enum).</summary>
internal abstract class GenType
{
    protected GenType(string name, string csNamespace, string xmlNamespace, string? xmlTypeName, int sequence)
    {
        Name = name;
        CsNamespace = csNamespace;
        XmlNamespace = xmlNamespace;
        XmlTypeName = xmlTypeName;
        Sequence = sequence;
    }

    public string Name { get; }

    public string CsNamespace { get; }

    public string XmlNamespace { get; }

    /// <summary>XSD type name; null for anonymous types and root element classes.</summary>
    public string? XmlTypeName { get; }

    /// <summary>Creation order, keeps the output deterministic.</summary>
    public int Sequence { get; }

    public string? Documentation { get; set; }

    public abstract bool IsValueType { get; }
}

internal sealed class GenEnum(string name, string csNamespace, string xmlNamespace, string? xmlTypeName, int sequence)
    : GenType(name, csNamespace, xmlNamespace, xmlTypeName, sequence)
{
    public List<(string Member, string Literal)> Members { get; } = new();

    public override bool IsValueType => true;
}

internal sealed class GenClass(string name, string csNamespace, string xmlNamespace, string? xmlTypeName, int sequence)
    : GenType(name, csNamespace, xmlNamespace, xmlTypeName, sequence)
{
    public GenClass? BaseClass { get; set; }

    /// <summary>Set for classes that stand for a global element ([XmlRoot]).</summary>
    public System.Xml.XmlQualifiedName? RootElement { get; set; }

    public List<GenProperty> Properties { get; } = new();

    /// <summary>C# member names used in this class and its bases (to avoid hiding).</summary>
    public HashSet<string> MemberNames { get; } = new(StringComparer.Ordinal);

    /// <summary>XML element names (ns + local) bound in this class and its bases.</summary>
    public HashSet<string> ElementNames { get; } = new(StringComparer.Ordinal);

    public bool Built { get; set; }

    public override bool IsValueType => false;
}

/// <summary>The C# type of a property: a generated type or a built-in one.</summary>
internal sealed record TypeRef(GenType? Generated, string? BuiltIn, bool IsValueType, string? DataType)
{
    public static TypeRef For(GenType type) => new(type, null, type.IsValueType, null);

    public static TypeRef Builtin(string csType, bool isValueType, string? dataType = null) => new(null, csType, isValueType, dataType);

    public bool IsString => BuiltIn == "string";

    public bool IsByteArray => BuiltIn == "byte[]";

    public string Render(string currentNamespace) =>
        Generated is null
            ? BuiltIn!
            : Generated.CsNamespace == currentNamespace ? Generated.Name : $"global::{Generated.CsNamespace}.{Generated.Name}";
}

internal enum PropertyKind
{
    Element,
    Attribute,
    Text,
    AnyElement,
    AnyAttribute,
}

internal sealed class GenProperty
{
    public required string Name { get; init; }

    public required PropertyKind Kind { get; init; }

    public required TypeRef Type { get; init; }

    /// <summary>Local XML name; for an xs:any the fixed element name if known.</summary>
    public string? XmlName { get; init; }

    /// <summary>XML namespace; empty string = unqualified; null = no namespace filter (xs:any).</summary>
    public string? XmlNamespace { get; init; }

    public bool IsOptional { get; init; }

    public bool IsRepeated { get; init; }

    public bool IsNillable { get; init; }

    public string? FixedValue { get; init; }

    public string? Documentation { get; init; }
}
