using System.Xml;
using System.Xml.Schema;

namespace IntegrationHub.ContractGenerator;

/// <summary>Walks a compiled schema set and builds the C# model. Unsupported constructs fail loudly.</summary>
internal sealed class ModelBuilder
{
    private const string XmlDsigNamespace = "http://www.w3.org/2000/09/xmldsig#";

    private static readonly string[] ReservedMemberNames = ["Equals", "GetHashCode", "GetType", "ToString", "MemberwiseClone", "Finalize", "ReferenceEquals"];

    private readonly XmlSchemaSet _set;
    private readonly ContractGeneratorOptions _options;
    private readonly Dictionary<string, HashSet<string>> _typeNamesByCsNamespace = new(StringComparer.Ordinal);
    private readonly Dictionary<XmlSchemaComplexType, GenClass> _classes = new();
    private readonly Dictionary<XmlSchemaSimpleType, GenEnum> _enums = new();
    private readonly Dictionary<XmlSchemaElement, GenClass> _roots = new();
    private readonly List<GenType> _all = new();

    public ModelBuilder(XmlSchemaSet set, ContractGeneratorOptions options)
    {
        if (!set.IsCompiled)
        {
            set.Compile();
        }

        _set = set;
        _options = options;
    }

    public IReadOnlyList<GenType> Build()
    {
        var schemas = OrderedSchemas();
        var items = schemas.SelectMany(s => s.Items.Cast<XmlSchemaObject>()).ToList();

        // Pass 1: names of named types win over root element names.
        foreach (var item in items)
        {
            switch (item)
            {
                case XmlSchemaComplexType ct:
                    DeclareNamedClass(ct);
                    break;
                case XmlSchemaSimpleType st when HasEnumerationFacets(st):
                    DeclareEnum(st, null, st.QualifiedName.Namespace, null);
                    break;
            }
        }

        // Pass 2: root element classes.
        foreach (var element in items.OfType<XmlSchemaElement>())
        {
            DeclareRoot(element);
        }

        // Pass 3: members (anonymous types are declared on the way).
        foreach (var item in items)
        {
            switch (item)
            {
                case XmlSchemaComplexType ct:
                    BuildClass(_classes[ct], ct);
                    break;
                case XmlSchemaElement element:
                    BuildRoot(element);
                    break;
            }
        }

        return _all;
    }

    private List<XmlSchema> OrderedSchemas()
    {
        var result = new List<XmlSchema>();
        var seen = new HashSet<XmlSchema>();
        foreach (var schema in _set.Schemas().Cast<XmlSchema>().OrderBy(s => s.SourceUri, StringComparer.Ordinal))
        {
            Visit(schema);
        }

        return result;

        void Visit(XmlSchema schema)
        {
            if (!seen.Add(schema))
            {
                return;
            }

            result.Add(schema);
            foreach (var external in schema.Includes.OfType<XmlSchemaExternal>()
                         .Where(e => e.Schema is not null && e is not XmlSchemaImport))
            {
                // xs:include / xs:redefine: their items belong to this schema's namespace.
                Visit(external.Schema!);
            }
        }
    }

    // ----- declarations -----

    private HashSet<string> TypeNames(string csNamespace)
    {
        if (!_typeNamesByCsNamespace.TryGetValue(csNamespace, out var names))
        {
            names = new HashSet<string>(StringComparer.Ordinal);
            _typeNamesByCsNamespace[csNamespace] = names;
        }

        return names;
    }

    private string CsNamespaceOf(string xmlNamespace) => _options.NamespaceMapper(xmlNamespace);

    private GenClass DeclareNamedClass(XmlSchemaComplexType ct)
    {
        if (_classes.TryGetValue(ct, out var existing))
        {
            return existing;
        }

        var qn = ct.QualifiedName;
        var csNs = CsNamespaceOf(qn.Namespace);
        var name = Naming.MakeUnique(Naming.ToPascal(qn.Name), TypeNames(csNs));
        var gen = new GenClass(name, csNs, qn.Namespace, qn.Name, _all.Count) { Documentation = DocOf(ct.Annotation) };
        _classes[ct] = gen;
        _all.Add(gen);
        return gen;
    }

    private GenClass DeclareAnonymousClass(XmlSchemaComplexType ct, string nameHint, string xmlNamespace, string csNamespace)
    {
        if (_classes.TryGetValue(ct, out var existing))
        {
            return existing;
        }

        var name = Naming.MakeUnique(nameHint, TypeNames(csNamespace));
        var gen = new GenClass(name, csNamespace, xmlNamespace, null, _all.Count) { Documentation = DocOf(ct.Annotation) };
        _classes[ct] = gen;
        _all.Add(gen);
        return gen;
    }

    private GenEnum DeclareEnum(XmlSchemaSimpleType st, string? nameHint, string xmlNamespace, string? csNamespace)
    {
        if (_enums.TryGetValue(st, out var existing))
        {
            return existing;
        }

        var named = !st.QualifiedName.IsEmpty;
        csNamespace = named ? CsNamespaceOf(st.QualifiedName.Namespace) : csNamespace!;
        var candidate = named ? Naming.ToPascal(st.QualifiedName.Name) : nameHint!;
        var name = Naming.MakeUnique(candidate, TypeNames(csNamespace));
        var gen = new GenEnum(name, csNamespace, named ? st.QualifiedName.Namespace : xmlNamespace, named ? st.QualifiedName.Name : null, _all.Count)
        {
            Documentation = DocOf(st.Annotation),
        };

        var memberNames = new HashSet<string>(StringComparer.Ordinal);
        var restriction = (XmlSchemaSimpleTypeRestriction)st.Content!;
        foreach (var facet in restriction.Facets.OfType<XmlSchemaEnumerationFacet>())
        {
            var literal = facet.Value ?? string.Empty;
            if (gen.Members.Any(m => m.Literal == literal))
            {
                continue;
            }

            gen.Members.Add((Naming.MakeUnique(Naming.ToEnumMember(literal), memberNames), literal));
        }

        _enums[st] = gen;
        _all.Add(gen);
        return gen;
    }

    private void DeclareRoot(XmlSchemaElement element)
    {
        if (element.IsAbstract || !element.SubstitutionGroup.IsEmpty)
        {
            throw new NotSupportedException($"Element '{element.QualifiedName}': abstract elements and substitution groups are not supported.");
        }

        var qn = element.QualifiedName;
        var csNs = CsNamespaceOf(qn.Namespace);
        var candidate = Naming.ToPascal(qn.Name);
        var names = TypeNames(csNs);
        if (names.Contains(candidate))
        {
            candidate += "Element";
        }

        var type = element.ElementSchemaType;
        if (type is XmlSchemaComplexType ct && ct.QualifiedName.IsEmpty)
        {
            // Anonymous complex type: the root class is that type.
            var gen = DeclareAnonymousClass(ct, candidate, qn.Namespace, csNs);
            gen.RootElement = qn;
            gen.Documentation = DocOf(element.Annotation) ?? gen.Documentation;
            _roots[element] = gen;
            return;
        }

        var root = new GenClass(Naming.MakeUnique(candidate, names), csNs, qn.Namespace, null, _all.Count)
        {
            RootElement = qn,
            Documentation = DocOf(element.Annotation),
        };
        _roots[element] = root;
        _all.Add(root);
    }

    // ----- members -----

    private void BuildRoot(XmlSchemaElement element)
    {
        var root = _roots[element];
        var type = element.ElementSchemaType;
        switch (type)
        {
            case XmlSchemaComplexType ct when ct.QualifiedName.IsEmpty:
                BuildClass(root, ct);
                break;
            case XmlSchemaComplexType ct when IsAnyType(ct.QualifiedName):
                throw new NotSupportedException($"Element '{element.QualifiedName}' has type xs:anyType; give it a concrete type.");
            case XmlSchemaComplexType ct:
                // Root class derives from the named type: new WohngeldAntrag0001 { ... } is the message.
                var baseClass = _classes[ct];
                BuildClass(baseClass, ct);
                root.BaseClass = baseClass;
                InheritNames(root, baseClass);
                root.Built = true;
                break;
            case XmlSchemaSimpleType st:
                InheritNames(root, null);
                AddProperty(root, new GenProperty
                {
                    Name = UniqueMember(root, "Value"),
                    Kind = PropertyKind.Text,
                    Type = ResolveSimple(st, root.Name + "ValueType", element.QualifiedName.Namespace, root.CsNamespace),
                });
                root.Built = true;
                break;
            default:
                throw new NotSupportedException($"Element '{element.QualifiedName}' has no usable type.");
        }
    }

    private void BuildClass(GenClass gen, XmlSchemaComplexType ct)
    {
        if (gen.Built)
        {
            return;
        }

        gen.Built = true;
        if (ct.IsMixed || ct.ContentType == XmlSchemaContentType.Mixed)
        {
            throw new NotSupportedException($"Type '{Describe(gen)}': mixed content is not supported.");
        }

        XmlSchemaParticle? particle = null;
        XmlSchemaComplexType? baseComplex = null;
        XmlSchemaSimpleType? textType = null;
        XmlSchemaDatatype? textDatatype = null;

        switch (ct.ContentModel)
        {
            case XmlSchemaComplexContent { Content: XmlSchemaComplexContentExtension ext }:
                if (!IsAnyType(ext.BaseTypeName))
                {
                    baseComplex = (XmlSchemaComplexType)ct.BaseXmlSchemaType!;
                }

                particle = ext.Particle;
                break;
            case XmlSchemaComplexContent { Content: XmlSchemaComplexContentRestriction res }:
                // Restriction cannot remove inherited C# members, so the class is flattened instead of derived.
                particle = res.Particle;
                break;
            case XmlSchemaSimpleContent { Content: XmlSchemaSimpleContentExtension }:
                if (ct.BaseXmlSchemaType is XmlSchemaComplexType complexBase)
                {
                    baseComplex = complexBase;
                }
                else
                {
                    textType = (XmlSchemaSimpleType)ct.BaseXmlSchemaType!;
                }

                break;
            case XmlSchemaSimpleContent { Content: XmlSchemaSimpleContentRestriction }:
                textDatatype = ct.Datatype;
                break;
            default:
                particle = ct.Particle;
                break;
        }

        GenClass? baseClass = null;
        if (baseComplex is not null)
        {
            baseClass = ClassFor(baseComplex, gen, "Base");
            BuildClass(baseClass, baseComplex);
            gen.BaseClass = baseClass;
        }

        InheritNames(gen, baseClass);

        if (textType is not null)
        {
            AddProperty(gen, new GenProperty
            {
                Name = UniqueMember(gen, "Value"),
                Kind = PropertyKind.Text,
                Type = ResolveSimple(textType, Stem(gen) + "ValueType", gen.XmlNamespace, gen.CsNamespace),
            });
        }
        else if (textDatatype is not null)
        {
            AddProperty(gen, new GenProperty
            {
                Name = UniqueMember(gen, "Value"),
                Kind = PropertyKind.Text,
                Type = MapDatatype(textDatatype),
            });
        }

        WalkParticle(gen, particle, optional: false, repeated: false);
        AddAttributes(gen, ct, baseComplex);
    }

    private void InheritNames(GenClass gen, GenClass? baseClass)
    {
        gen.MemberNames.Add(gen.Name);
        foreach (var reserved in ReservedMemberNames)
        {
            gen.MemberNames.Add(reserved);
        }

        if (baseClass is null)
        {
            return;
        }

        gen.MemberNames.UnionWith(baseClass.MemberNames);
        gen.ElementNames.UnionWith(baseClass.ElementNames);
    }

    private void WalkParticle(GenClass gen, XmlSchemaParticle? particle, bool optional, bool repeated)
    {
        if (particle is null)
        {
            return;
        }

        var isOptional = optional || particle.MinOccurs == 0;
        var isRepeated = repeated || particle.MaxOccurs > 1;
        switch (particle)
        {
            case XmlSchemaElement element:
                AddElement(gen, element, isOptional, isRepeated);
                break;
            case XmlSchemaSequence sequence:
                foreach (var item in sequence.Items.OfType<XmlSchemaParticle>())
                {
                    WalkParticle(gen, item, isOptional, isRepeated);
                }

                break;
            case XmlSchemaAll all:
                foreach (var item in all.Items.OfType<XmlSchemaParticle>())
                {
                    WalkParticle(gen, item, isOptional, isRepeated);
                }

                break;
            case XmlSchemaChoice choice:
                // One property per alternative; each alternative is optional on its own.
                var alternatives = choice.Items.OfType<XmlSchemaParticle>().ToList();
                foreach (var item in alternatives)
                {
                    WalkParticle(gen, item, isOptional || alternatives.Count > 1, isRepeated);
                }

                break;
            case XmlSchemaGroupRef groupRef:
                WalkParticle(gen, groupRef.Particle, isOptional, isRepeated);
                break;
            case XmlSchemaAny any:
                AddAny(gen, any, isRepeated);
                break;
            default:
                throw new NotSupportedException($"Type '{Describe(gen)}': particle {particle.GetType().Name} is not supported.");
        }
    }

    private void AddElement(GenClass gen, XmlSchemaElement element, bool optional, bool repeated)
    {
        XmlQualifiedName qn;
        TypeRef type;
        XmlSchemaElement declaration;
        if (!element.RefName.IsEmpty)
        {
            declaration = (XmlSchemaElement)_set.GlobalElements[element.RefName]!;
            qn = declaration.QualifiedName;
            type = declaration.ElementSchemaType is XmlSchemaComplexType
                ? TypeRef.For(_roots[declaration])
                : ResolveSimple((XmlSchemaSimpleType)declaration.ElementSchemaType!, Naming.ToPascal(qn.Name) + "Type", qn.Namespace, CsNamespaceOf(qn.Namespace));
        }
        else
        {
            declaration = element;
            qn = element.QualifiedName;
            type = element.ElementSchemaType switch
            {
                XmlSchemaComplexType ct when IsAnyType(ct.QualifiedName) =>
                    throw new NotSupportedException($"Type '{Describe(gen)}': element '{qn.Name}' has type xs:anyType; give it a concrete type."),
                XmlSchemaComplexType ct when ct.QualifiedName.IsEmpty =>
                    TypeRef.For(AnonymousClass(ct, Stem(gen) + Naming.ToPascal(qn.Name) + "Type", qn.Namespace, gen.CsNamespace)),
                XmlSchemaComplexType ct => TypeRef.For(ClassFor(ct, gen, qn.Name)),
                XmlSchemaSimpleType st => ResolveSimple(st, Stem(gen) + Naming.ToPascal(qn.Name) + "Type", qn.Namespace, gen.CsNamespace),
                _ => throw new NotSupportedException($"Type '{Describe(gen)}': element '{qn.Name}' has no type."),
            };
        }

        if (!gen.ElementNames.Add(qn.ToString()))
        {
            throw new NotSupportedException(
                $"Type '{Describe(gen)}': element '{qn}' occurs more than once in the content model; XmlSerializer cannot bind that.");
        }

        AddProperty(gen, new GenProperty
        {
            Name = UniqueMember(gen, Naming.ToPascal(qn.Name)),
            Kind = PropertyKind.Element,
            Type = type,
            XmlName = qn.Name,
            XmlNamespace = qn.Namespace,
            IsOptional = optional,
            IsRepeated = repeated,
            IsNillable = declaration.IsNillable && !type.IsValueType,
            Documentation = DocOf(element.Annotation) ?? DocOf(declaration.Annotation),
        });
    }

    private void AddAny(GenClass gen, XmlSchemaAny any, bool repeated)
    {
        var ns = any.Namespace?.Trim();
        string? filter = ns switch
        {
            null or "" or "##any" or "##other" => null,
            "##targetNamespace" => gen.XmlNamespace,
            "##local" => string.Empty,
            _ when ns.Contains(' ') => null,
            _ => ns,
        };

        // The W3C signature element gets its proper name, so the hub can read and set it directly.
        var isSignature = filter == XmlDsigNamespace && !repeated;
        AddProperty(gen, new GenProperty
        {
            Name = UniqueMember(gen, isSignature ? "Signature" : "Any"),
            Kind = PropertyKind.AnyElement,
            Type = TypeRef.Builtin("global::System.Xml.XmlElement", isValueType: false),
            XmlName = isSignature ? "Signature" : null,
            XmlNamespace = filter,
            IsOptional = true,
            IsRepeated = repeated,
            Documentation = DocOf(any.Annotation),
        });
    }

    private void AddAttributes(GenClass gen, XmlSchemaComplexType ct, XmlSchemaComplexType? baseComplex)
    {
        foreach (var attribute in ct.AttributeUses.Values.Cast<XmlSchemaAttribute>())
        {
            var qn = attribute.QualifiedName;
            if (baseComplex is not null && baseComplex.AttributeUses.Contains(qn))
            {
                continue;
            }

            if (attribute.Use == XmlSchemaUse.Prohibited)
            {
                continue;
            }

            var type = ResolveSimple(attribute.AttributeSchemaType!, Stem(gen) + Naming.ToPascal(qn.Name) + "Type", gen.XmlNamespace, gen.CsNamespace);
            AddProperty(gen, new GenProperty
            {
                Name = UniqueMember(gen, Naming.ToPascal(qn.Name)),
                Kind = PropertyKind.Attribute,
                Type = type,
                XmlName = qn.Name,
                XmlNamespace = qn.Namespace,
                IsOptional = attribute.Use != XmlSchemaUse.Required,
                FixedValue = attribute.FixedValue,
                Documentation = DocOf(attribute.Annotation),
            });
        }

        if (ct.AttributeWildcard is not null && baseComplex?.AttributeWildcard is null)
        {
            AddProperty(gen, new GenProperty
            {
                Name = UniqueMember(gen, "AnyAttributes"),
                Kind = PropertyKind.AnyAttribute,
                Type = TypeRef.Builtin("global::System.Xml.XmlAttribute[]", isValueType: false),
                IsOptional = true,
            });
        }
    }

    private static void AddProperty(GenClass gen, GenProperty property) => gen.Properties.Add(property);

    private static string UniqueMember(GenClass gen, string candidate)
    {
        var name = candidate;
        for (var i = 2; gen.MemberNames.Contains(name) || gen.MemberNames.Contains(name + "Specified") || gen.MemberNames.Contains(name + "Value"); i++)
        {
            name = candidate + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        // Reserve the helper names the writer may add next to it.
        gen.MemberNames.Add(name);
        gen.MemberNames.Add(name + "Specified");
        gen.MemberNames.Add(name + "Value");
        gen.MemberNames.Add(name + "ValueSpecified");
        return name;
    }

    // ----- types -----

    private GenClass ClassFor(XmlSchemaComplexType ct, GenClass context, string elementName)
    {
        if (_classes.TryGetValue(ct, out var gen))
        {
            return gen;
        }

        if (ct.QualifiedName.IsEmpty)
        {
            return AnonymousClass(ct, Stem(context) + Naming.ToPascal(elementName) + "Type", context.XmlNamespace, context.CsNamespace);
        }

        throw new InvalidOperationException($"Complex type '{ct.QualifiedName}' was not declared.");
    }

    private GenClass AnonymousClass(XmlSchemaComplexType ct, string nameHint, string xmlNamespace, string csNamespace)
    {
        var gen = DeclareAnonymousClass(ct, nameHint, xmlNamespace, csNamespace);
        BuildClass(gen, ct);
        return gen;
    }

    private TypeRef ResolveSimple(XmlSchemaSimpleType st, string anonymousNameHint, string xmlNamespace, string csNamespace)
    {
        var enumType = FindEnumeration(st);
        if (enumType is not null)
        {
            return TypeRef.For(DeclareEnum(enumType, anonymousNameHint, xmlNamespace, csNamespace));
        }

        return MapDatatype(st.Datatype!);
    }

    /// <summary>The simple type (itself or a base) whose enumeration facets define the value space, if any.</summary>
    private static XmlSchemaSimpleType? FindEnumeration(XmlSchemaSimpleType? st)
    {
        while (st is not null && st.QualifiedName.Namespace != XmlSchema.Namespace)
        {
            if (st.Datatype?.Variety != XmlSchemaDatatypeVariety.Atomic)
            {
                return null;
            }

            if (HasEnumerationFacets(st))
            {
                return st;
            }

            st = st.BaseXmlSchemaType as XmlSchemaSimpleType;
        }

        return null;
    }

    private static bool HasEnumerationFacets(XmlSchemaSimpleType st) =>
        st.Content is XmlSchemaSimpleTypeRestriction restriction && restriction.Facets.OfType<XmlSchemaEnumerationFacet>().Any();

    /// <summary>Built-in mapping; restrictions map to their base type (the XSD stays the validator).</summary>
    private static TypeRef MapDatatype(XmlSchemaDatatype datatype)
    {
        if (datatype.Variety != XmlSchemaDatatypeVariety.Atomic)
        {
            return TypeRef.Builtin("string", isValueType: false);
        }

        return datatype.TypeCode switch
        {
            XmlTypeCode.Boolean => TypeRef.Builtin("bool", true),
            XmlTypeCode.Decimal => TypeRef.Builtin("decimal", true),
            XmlTypeCode.Float => TypeRef.Builtin("float", true),
            XmlTypeCode.Double => TypeRef.Builtin("double", true),
            XmlTypeCode.Integer or XmlTypeCode.NonPositiveInteger or XmlTypeCode.NegativeInteger
                or XmlTypeCode.NonNegativeInteger or XmlTypeCode.PositiveInteger or XmlTypeCode.Long => TypeRef.Builtin("long", true),
            XmlTypeCode.Int => TypeRef.Builtin("int", true),
            XmlTypeCode.Short => TypeRef.Builtin("short", true),
            XmlTypeCode.Byte => TypeRef.Builtin("sbyte", true),
            XmlTypeCode.UnsignedLong => TypeRef.Builtin("ulong", true),
            XmlTypeCode.UnsignedInt => TypeRef.Builtin("uint", true),
            XmlTypeCode.UnsignedShort => TypeRef.Builtin("ushort", true),
            XmlTypeCode.UnsignedByte => TypeRef.Builtin("byte", true),
            XmlTypeCode.DateTime => TypeRef.Builtin("global::System.DateTime", true),
            XmlTypeCode.Date => TypeRef.Builtin("global::System.DateTime", true, "date"),
            XmlTypeCode.Time => TypeRef.Builtin("global::System.DateTime", true, "time"),
            XmlTypeCode.Base64Binary => TypeRef.Builtin("byte[]", false),
            XmlTypeCode.HexBinary => TypeRef.Builtin("byte[]", false, "hexBinary"),
            _ => TypeRef.Builtin("string", false),
        };
    }

    private static bool IsAnyType(XmlQualifiedName name) => name.Name == "anyType" && name.Namespace == XmlSchema.Namespace;

    /// <summary>Prefix for names of anonymous types nested in <paramref name="gen"/>.</summary>
    private static string Stem(GenClass gen) =>
        gen.Name.EndsWith("Type", StringComparison.Ordinal) && gen.Name.Length > 4 ? gen.Name[..^4] : gen.Name;

    private static string Describe(GenClass gen) => gen.XmlTypeName ?? gen.RootElement?.ToString() ?? gen.Name;

    private static string? DocOf(XmlSchemaAnnotation? annotation)
    {
        if (annotation is null)
        {
            return null;
        }

        var texts = annotation.Items.OfType<XmlSchemaDocumentation>()
            .SelectMany(d => d.Markup ?? [])
            .Select(n => n?.InnerText)
            .Where(t => !string.IsNullOrWhiteSpace(t))
            .Cast<string>();
        var text = string.Join(" ", texts);
        return text.Length == 0 ? null : string.Join(" ", text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }
}
