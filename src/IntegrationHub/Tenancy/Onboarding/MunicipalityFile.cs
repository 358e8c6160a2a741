namespace IntegrationHub.Tenancy.Onboarding;

/// <summary>
/// One municipality as a reviewed file (YAML, camelCase keys; see tenants/README.md). Read by
/// <see cref="MunicipalityFileReader"/>, which keeps where every value stands so findings can point at a line.
/// </summary>
public sealed class MunicipalityFile
{
    /// <summary>The file it was read from (null when read from a string); key paths are relative to its folder.</summary>
    public string? SourcePath { get; set; }
    public string Name { get; set; } = string.Empty;
    /// <summary>Amtlicher Regionalschlüssel, 12 digits.</summary>
    public string Ars { get; set; } = string.Empty;
    /// <summary>Amtlicher Gemeindeschlüssel, 8 digits: ARS digits 1–5 and 10–12.</summary>
    public string Ags { get; set; } = string.Empty;
    /// <summary>The parent Kreis: its name or ARS.</summary>
    public string? District { get; set; }
    public MunicipalityContact? Contact { get; set; }
    public List<MunicipalityService> Services { get; set; } = [];
    /// <summary>Targets by name (like Hub:Targets).</summary>
    public Dictionary<string, MunicipalityTarget> Targets { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>The DMS / E-Akte: a target name.</summary>
    public string? Dms { get; set; }
    /// <summary>The citizen postbox: a target name.</summary>
    public string? Postbox { get; set; }
    public List<AktenplanEntry> Aktenplan { get; set; } = [];
    public List<MunicipalitySender> Senders { get; set; } = [];
    public List<MunicipalityEvidence> Evidence { get; set; } = [];
    public MunicipalityRetention? Retention { get; set; }
    public MunicipalityKeys? Keys { get; set; }

    /// <summary>Where each value stands: key path ("services[0].leikaKey", "targets.prosoz.endpoint") to line and column.</summary>
    public Dictionary<string, FilePosition> Positions { get; } = new(StringComparer.Ordinal);

    /// <summary>The position of the first of these paths that the file has, else the start of the file.</summary>
    public FilePosition At(params string[] paths)
    {
        foreach (var path in paths)
            if (Positions.TryGetValue(path, out var position)) return position;
        return new FilePosition(1, 1);
    }
}

public readonly record struct FilePosition(int Line, int Column);

public sealed class MunicipalityContact
{
    public string? Name { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
}

/// <summary>A service the municipality offers: its FIT-Connect destination, the targets it is handed to, the once-only checks.</summary>
public sealed class MunicipalityService
{
    public string LeikaKey { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public string SchemaUri { get; set; } = string.Empty;
    /// <summary>The destination's GUID as written.</summary>
    public string Destination { get; set; } = string.Empty;
    public List<string> Targets { get; set; } = [];
    public List<string> Checks { get; set; } = [];
}

public sealed class MunicipalityTarget
{
    /// <summary>One of <see cref="TargetKinds.All"/>.</summary>
    public string Kind { get; set; } = string.Empty;
    /// <summary>Absolute http(s) URL (becomes BaseUrl).</summary>
    public string Endpoint { get; set; } = string.Empty;
    /// <summary>A reference: "env:NAME" or "secret:NAME", never the secret.</summary>
    public string? Credentials { get; set; }
    /// <summary>Adapter options (scalar values, as the adapter's settings name them).</summary>
    public Dictionary<string, string> Options { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

public sealed class MunicipalitySender
{
    public string ClientId { get; set; } = string.Empty;
    public List<string> Destinations { get; set; } = [];
}

public sealed class MunicipalityEvidence
{
    public string Type { get; set; } = string.Empty;
    public string Target { get; set; } = string.Empty;
    public List<string> LegalBases { get; set; } = [];
    /// <summary>EINKOMMEN only: how far (percent) stated income may differ from the register's; the default is 5.</summary>
    public string? TolerancePercent { get; set; }
}

public sealed class MunicipalityRetention
{
    /// <summary>How long personal data of completed submissions is kept: a TimeSpan ("180.00:00:00") or days ("180d").</summary>
    public string? Payloads { get; set; }
}

public sealed class MunicipalityKeys
{
    /// <summary>PEM of the destination's RSA key (public or private), relative to the file.</summary>
    public string? DestinationKeyFile { get; set; }
    /// <summary>PEM X.509 certificate used for signing, relative to the file.</summary>
    public string? SigningCertificateFile { get; set; }
}

public static class TargetKinds
{
    public const string Prosoz = "Prosoz", Marius = "Marius", Dms = "Dms", Postbox = "Postbox", EvidenceProvider = "EvidenceProvider";
    public static readonly IReadOnlyList<string> All = [Prosoz, Marius, Dms, Postbox, EvidenceProvider];
}

/// <summary>The LeiKa keys the hub's contracts serve.</summary>
public static class LeikaCatalogue
{
    public static readonly IReadOnlyDictionary<string, string> Known = new Dictionary<string, string>
    {
        ["99107004017000"] = "Wohngeld",
        ["99079005000000"] = "Sozialhilfe",
    };
}

public enum FindingSeverity { Error, Warning }

/// <summary>One problem in a municipality file, where it is, and what is expected.</summary>
public sealed record MunicipalityFinding(int Line, int Column, FindingSeverity Severity, string Code, string Message)
{
    public static MunicipalityFinding Error(FilePosition at, string code, string message) => new(at.Line, at.Column, FindingSeverity.Error, code, message);
    public static MunicipalityFinding Warning(FilePosition at, string code, string message) => new(at.Line, at.Column, FindingSeverity.Warning, code, message);
}
