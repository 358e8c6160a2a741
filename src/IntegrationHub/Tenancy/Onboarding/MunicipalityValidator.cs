using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using IntegrationHub.OnceOnly;

namespace IntegrationHub.Tenancy.Onboarding;

/// <summary>What a municipality file is checked against beyond itself: other municipalities, shared targets, the clock.</summary>
public sealed class MunicipalityValidationContext
{
    /// <summary>LeiKa keys served beyond <see cref="LeikaCatalogue.Known"/>.</summary>
    public IReadOnlyCollection<string> ExtraLeikaKeys { get; init; } = [];
    /// <summary>Destinations already in use (configured or in other files): id to the owning municipality's ARS.</summary>
    public IReadOnlyDictionary<Guid, string> ExistingDestinations { get; init; } = new Dictionary<Guid, string>();
    /// <summary>Targets configured outside the file (e.g. shared ones in Hub:Targets): name to kind.</summary>
    public IReadOnlyDictionary<string, string> ExistingTargets { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
    /// <summary>A certificate expiring within this many days is a warning.</summary>
    public int ExpiryWarningDays { get; init; } = 30;
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>Key files' paths are relative to this folder and must stay below it; defaults to the file's folder, else the current one.</summary>
    public string? BaseDirectory { get; init; }
    /// <summary>
    /// Hosts the file's own targets may use (endpoints and URL options): null for any (an admin who covers every
    /// municipality, or offline, where the one who applies is not known), else Hub:Onboarding:AllowedTargetHosts.
    /// </summary>
    public IReadOnlyCollection<string>? AllowedTargetHosts { get; init; }
}

/// <summary>The semantic checks of a municipality file; each finding names the field, the problem and what is expected.</summary>
public static partial class MunicipalityValidator
{
    public static readonly IReadOnlyList<string> FiledDocumentTypes = ["Antrag", "Bescheid"];
    public const int MinimumDestinationKeyBits = 4096;

    /// <summary>Reads and checks a YAML text: shape findings and semantic findings, by line.</summary>
    public static IReadOnlyList<MunicipalityFinding> Validate(string yaml, MunicipalityValidationContext? context = null, string? sourcePath = null)
    {
        var read = MunicipalityFileReader.Parse(yaml, sourcePath);
        var findings = read.Findings.ToList();
        if (read.File is not null) findings.AddRange(Validate(read.File, context));
        return [.. findings.OrderBy(f => f.Line).ThenBy(f => f.Column)];
    }

    public static IEnumerable<MunicipalityFinding> Validate(MunicipalityFile file, MunicipalityValidationContext? context = null)
    {
        context ??= new MunicipalityValidationContext();
        var findings = new List<MunicipalityFinding>();
        void Error(FilePosition at, string code, string message) => findings.Add(MunicipalityFinding.Error(at, code, message));

        // ARS and AGS
        var arsValid = Digits(file.Ars, 12);
        if (file.Ars.Length > 0 && !arsValid)
            Error(file.At("ars"), "ars-format", $"ars '{file.Ars}' is not an Amtlicher Regionalschlüssel; expected exactly 12 digits (e.g. 064130000000).");
        var agsValid = Digits(file.Ags, 8);
        if (file.Ags.Length > 0 && !agsValid)
            Error(file.At("ags"), "ags-format", $"ags '{file.Ags}' is not an Amtlicher Gemeindeschlüssel; expected exactly 8 digits (e.g. 06413000).");
        if (arsValid && agsValid && file.Ars[..5] + file.Ars[9..] is var expectedAgs && expectedAgs != file.Ags)
            Error(file.At("ags"), "ars-ags-mismatch",
                $"ags '{file.Ags}' does not match ars '{file.Ars}'; expected '{expectedAgs}' (ARS digits 1–5 followed by digits 10–12).");

        // Services
        var known = new HashSet<string>(LeikaCatalogue.Known.Keys.Concat(context.ExtraLeikaKeys), StringComparer.Ordinal);
        var destinations = new HashSet<Guid>();
        var offered = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < file.Services.Count; i++)
        {
            var service = file.Services[i];
            var path = $"services[{i}]";
            if (service.LeikaKey.Length > 0 && !known.Contains(service.LeikaKey))
                Error(file.At(path + ".leikaKey", path), "unknown-leika-key",
                    $"{path}.leikaKey '{service.LeikaKey}' is not a LeiKa key the hub serves; expected one of: {string.Join(", ", known.Order().Select(k => LeikaCatalogue.Known.TryGetValue(k, out var n) ? $"{k} ({n})" : k))}.");
            if (service.LeikaKey.Length > 0 && !offered.Add(service.LeikaKey))
                Error(file.At(path + ".leikaKey", path), "duplicate-service",
                    $"{path}.leikaKey '{service.LeikaKey}' is offered twice; expected each service once.");
            if (service.Destination.Length > 0)
            {
                if (!Guid.TryParse(service.Destination, out var id))
                    Error(file.At(path + ".destination", path), "destination-format",
                        $"{path}.destination '{service.Destination}' is not a GUID; expected the FIT-Connect destination id (e.g. 7f076675-a1c0-4408-9bcd-7aeb467f6f11).");
                else if (context.ExistingDestinations.TryGetValue(id, out var owner) && owner != file.Ars)
                    Error(file.At(path + ".destination", path), "duplicate-destination",
                        $"{path}.destination {id} is already used by municipality {owner}; expected a destination of this municipality's own.");
                else destinations.Add(id);
            }
            if (service.Targets.Count == 0)
                Error(file.At(path + ".targets", path), "service-not-routed",
                    $"{path} ({Describe(service)}) has no targets, so its submissions would go nowhere; expected at least one target name under targets.");
            for (var t = 0; t < service.Targets.Count; t++)
                CheckTarget(file.At($"{path}.targets[{t}]", path), $"{path}.targets[{t}]", service.Targets[t], null);
            for (var c = 0; c < service.Checks.Count; c++)
                CheckEvidenceType(file.At($"{path}.checks[{c}]", path), $"{path}.checks[{c}]", service.Checks[c]);
        }

        // Targets
        foreach (var (name, target) in file.Targets)
        {
            var path = $"targets.{name}";
            if (target.Kind.Length > 0 && !TargetKinds.All.Contains(target.Kind, StringComparer.Ordinal))
                Error(file.At(path + ".kind", path), "target-kind-unknown",
                    $"{path}.kind '{target.Kind}' is not an adapter kind; expected one of: {string.Join(", ", TargetKinds.All)}.");
            if (target.Endpoint.Length > 0 && (!Uri.TryCreate(target.Endpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https")))
                Error(file.At(path + ".endpoint", path), "endpoint-invalid",
                    $"{path}.endpoint '{target.Endpoint}' is not an absolute http(s) URL; expected e.g. https://prosoz.example.de/api/.");
            if (target.Credentials is { } credentials)
                CheckReference(file.At(path + ".credentials", path), path + ".credentials", credentials, secretLike: true);
            if (context.AllowedTargetHosts is { } hosts && MunicipalityTargetRules.HttpAddress(target.Endpoint) is { } address)
                CheckHost(file.At(path + ".endpoint", path), path + ".endpoint", address, hosts);
            foreach (var (key, value) in target.Options)
            {
                var at = file.At($"{path}.options.{key}", path);
                var option = $"{path}.options.{key}";
                if (MunicipalityTargetRules.IsReserved(key))
                    Error(at, "option-reserved", $"{option} would override the target's kind, address or secret; expected kind and endpoint " +
                                                 $"as the target's own keys and its secret only as credentials: a reference like {MunicipalityCredentials.Expected(file.Ars)}.");
                else if (MunicipalityTargetRules.IsPath(key, value))
                    Error(at, "option-path-refused", $"{option} names a file, which the hub would read on its own machine; expected the PEM text itself (a block scalar: {key}: |).");
                else
                {
                    CheckReference(at, option, value, SecretLikeKey().IsMatch(key));
                    if (context.AllowedTargetHosts is { } allowed && MunicipalityTargetRules.HttpAddress(value) is { } optionAddress)
                        CheckHost(at, option, optionAddress, allowed);
                }
            }
        }

        // DMS, postbox, evidence
        if (file.Dms is { } dms) CheckTarget(file.At("dms"), "dms", dms, TargetKinds.Dms);
        if (file.Postbox is { } postbox) CheckTarget(file.At("postbox"), "postbox", postbox, TargetKinds.Postbox);
        for (var i = 0; i < file.Evidence.Count; i++)
        {
            var evidence = file.Evidence[i];
            var path = $"evidence[{i}]";
            if (evidence.Type.Length > 0) CheckEvidenceType(file.At(path + ".type", path), path + ".type", evidence.Type);
            if (evidence.Target.Length > 0) CheckTarget(file.At(path + ".target", path), path + ".target", evidence.Target, TargetKinds.EvidenceProvider);
            if (evidence.TolerancePercent is { } tolerance && !IsIncomeTolerance(evidence.Type, tolerance))
                Error(file.At(path + ".tolerancePercent", path), "evidence-tolerance-invalid",
                    $"{path}.tolerancePercent '{tolerance}' is not allowed; it is a number from 0 to 100 and only for type {EvidenceTypes.Einkommen}.");
        }

        // Aktenplan
        if (file.Dms is not null)
            foreach (var service in file.Services.Where(s => s.LeikaKey.Length > 0))
                foreach (var type in FiledDocumentTypes)
                    if (!file.Aktenplan.Any(a => (a.LeikaKey.Length == 0 || a.LeikaKey == service.LeikaKey)
                                                 && (a.DocumentType.Length == 0 || a.DocumentType.Equals(type, StringComparison.OrdinalIgnoreCase))))
                        Error(file.At("aktenplan", "dms"), "aktenplan-missing",
                            $"aktenplan has no key for documents of type {type} of service {Describe(service)}, which the DMS '{file.Dms}' files; " +
                            $"expected an entry with leikaKey {service.LeikaKey} and documentType {type} (an empty leikaKey or documentType covers all).");

        // Senders
        for (var i = 0; i < file.Senders.Count; i++)
            for (var d = 0; d < file.Senders[i].Destinations.Count; d++)
            {
                var value = file.Senders[i].Destinations[d];
                var path = $"senders[{i}].destinations[{d}]";
                if (!Guid.TryParse(value, out var id) || !destinations.Contains(id))
                    Error(file.At(path, $"senders[{i}]"), "sender-destination-unknown",
                        $"{path} '{value}' is not a destination of this municipality; expected one of the services' destinations ({string.Join(", ", destinations)}).");
            }

        // Retention
        if (file.Retention?.Payloads is { } payloads && ParseDuration(payloads) is not { } retention)
            Error(file.At("retention.payloads", "retention"), "retention-invalid",
                $"retention.payloads '{payloads}' is not a positive duration; expected days like 180d or a TimeSpan like 180.00:00:00.");

        // Keys and certificates
        if (file.Keys is { } keys)
        {
            var folder = context.BaseDirectory ?? (file.SourcePath is { } source ? Path.GetDirectoryName(Path.GetFullPath(source)) : null) ?? Directory.GetCurrentDirectory();
            if (keys.SigningCertificateFile is { } certificateFile)
                findings.AddRange(KeyFile("keys.signingCertificateFile", certificateFile, folder, (at, text) => CheckCertificate(at, certificateFile, text, context)));
            if (keys.DestinationKeyFile is { } keyFile)
                findings.AddRange(KeyFile("keys.destinationKeyFile", keyFile, folder, (at, pem) => CheckDestinationKey(at, keyFile, pem)));
        }
        return findings;

        // A key file is read only as a regular file below the folder, within the size cap; else the refusal is the finding.
        IEnumerable<MunicipalityFinding> KeyFile(string path, string written, string folder, Func<FilePosition, string?, IEnumerable<MunicipalityFinding>> check)
        {
            var at = file.At(path, "keys");
            var (text, refused) = MunicipalityKeyFiles.Read(at, path, written, folder);
            return refused is not null ? [refused] : check(at, text);
        }

        void CheckTarget(FilePosition at, string path, string name, string? requiredKind)
        {
            string? kind = file.Targets.TryGetValue(name, out var own) ? own.Kind : context.ExistingTargets.TryGetValue(name, out var existing) ? existing : null;
            if (kind is null)
            {
                var defined = file.Targets.Keys.Concat(context.ExistingTargets.Keys).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                Error(at, "unknown-target", $"{path} names target '{name}', which is not defined; expected one of the targets: " +
                                           (defined.Count == 0 ? "(none defined)" : string.Join(", ", defined)) + ".");
            }
            else if (requiredKind is not null && !kind.Equals(requiredKind, StringComparison.Ordinal))
                Error(at, "target-kind-mismatch", $"{path} names target '{name}' of kind {(kind.Length == 0 ? "(none)" : kind)}; expected a target of kind {requiredKind}.");
        }

        // A secret-like value must be a reference; any reference must stay in the municipality's namespace.
        void CheckReference(FilePosition at, string path, string value, bool secretLike)
        {
            if (MunicipalityCredentials.IsReference(value))
            {
                // Without a valid ARS there is no namespace yet; ars-format already says so.
                if (arsValid && !MunicipalityCredentials.IsAllowed(file.Ars, value))
                    Error(at, MunicipalityCredentials.ForbiddenCode, $"{path} '{value}' refers to a secret outside municipality {file.Ars}'s own " +
                                                                     $"namespace; expected {MunicipalityCredentials.Expected(file.Ars)}.");
            }
            else if (secretLike)
                Error(at, "secret-in-file", $"{path} holds a literal value{(path.EndsWith(".credentials", StringComparison.Ordinal) ? "" : " and looks like a secret")}; " +
                                            $"secrets never go in the file: expected a reference, {MunicipalityCredentials.Expected(file.Ars)}.");
        }

        void CheckHost(FilePosition at, string path, Uri address, IReadOnlyCollection<string> allowed)
        {
            if (!MunicipalityTargetRules.IsAllowedHost(allowed, address))
                Error(at, "target-host-not-allowed", $"{path} points at host {address.IdnHost}, which is not on the hub's list for admins of single municipalities " +
                                                     $"({MunicipalityTargetRules.AllowedHostsSetting}: {(allowed.Count == 0 ? "empty" : string.Join(", ", allowed))}); " +
                                                     "expected one of those hosts, or a shared target of the hub's settings, or an admin who covers every municipality.");
        }

        void CheckEvidenceType(FilePosition at, string path, string type)
        {
            if (!EvidenceTypes.All.Contains(type, StringComparer.Ordinal))
                Error(at, "evidence-type-unknown", $"{path} '{type}' is not an evidence type; expected one of: {string.Join(", ", EvidenceTypes.All)}.");
        }
    }

    private static IEnumerable<MunicipalityFinding> CheckCertificate(FilePosition at, string written, string? text, MunicipalityValidationContext context)
    {
        if (text is null)
        {
            yield return MunicipalityFinding.Error(at, "certificate-missing", $"keys.signingCertificateFile '{written}' does not exist; expected a PEM certificate file relative to the municipality file.");
            yield break;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(text);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            certificate = null!;
        }
        if (certificate is null)
        {
            yield return MunicipalityFinding.Error(at, "certificate-invalid", $"keys.signingCertificateFile '{written}' is not an X.509 certificate in PEM; expected a file with a -----BEGIN CERTIFICATE----- block.");
            yield break;
        }
        using (certificate)
        {
            var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
            var date = notAfter.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (notAfter <= context.Now)
                yield return MunicipalityFinding.Error(at, "certificate-expired", $"keys.signingCertificateFile '{written}' expired on {date}; expected a valid certificate.");
            else if (notAfter <= context.Now.AddDays(context.ExpiryWarningDays))
                yield return MunicipalityFinding.Warning(at, "certificate-expiring",
                    $"keys.signingCertificateFile '{written}' expires on {date}, within {context.ExpiryWarningDays} days; renew it before then.");
            else if (certificate.NotBefore.ToUniversalTime() > context.Now.UtcDateTime)
                yield return MunicipalityFinding.Error(at, "certificate-not-yet-valid", $"keys.signingCertificateFile '{written}' is valid only from {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd}; expected a certificate valid now.");
        }
    }

    private static IEnumerable<MunicipalityFinding> CheckDestinationKey(FilePosition at, string written, string? pem)
    {
        if (pem is null)
        {
            yield return MunicipalityFinding.Error(at, "destination-key-missing", $"keys.destinationKeyFile '{written}' does not exist; expected a PEM RSA key file relative to the municipality file.");
            yield break;
        }
        int? bits;
        using (var rsa = RSA.Create())
        {
            try
            {
                rsa.ImportFromPem(pem);
                bits = rsa.KeySize;
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                bits = null;
            }
        }
        if (bits is null)
            yield return MunicipalityFinding.Error(at, "destination-key-invalid", $"keys.destinationKeyFile '{written}' is not an RSA key in PEM; expected an unencrypted RSA public or private key of {MinimumDestinationKeyBits} bits.");
        else if (bits < MinimumDestinationKeyBits)
            yield return MunicipalityFinding.Error(at, "destination-key-too-small", $"keys.destinationKeyFile '{written}' is an RSA key of {bits} bits; FIT-Connect destinations need at least {MinimumDestinationKeyBits}.");
    }

    /// <summary>The income tolerance of an EINKOMMEN provider entry: a percentage from 0 to 100.</summary>
    public static decimal? ParseTolerance(string value) =>
        decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out var percent) && percent is >= 0 and <= 100 ? percent : null;

    private static bool IsIncomeTolerance(string type, string value) =>
        type == EvidenceTypes.Einkommen && ParseTolerance(value) is not null;

    /// <summary>A positive duration written as days ("180d"), hours ("12h") or a TimeSpan ("180.00:00:00").</summary>
    public static TimeSpan? ParseDuration(string value)
    {
        TimeSpan? parsed = null;
        var match = DurationShorthand().Match(value.Trim());
        if (match.Success)
        {
            var n = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            parsed = match.Groups[2].Value == "d" ? TimeSpan.FromDays(n) : TimeSpan.FromHours(n);
        }
        else if (TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span)) parsed = span;
        return parsed > TimeSpan.Zero ? parsed : null;
    }

    private static bool Digits(string value, int length) => value.Length == length && value.All(char.IsAsciiDigit);

    private static string Describe(MunicipalityService service) =>
        service.Name.Length > 0 ? $"{service.LeikaKey} ({service.Name})" : service.LeikaKey;

    [GeneratedRegex("(password|passwd|secret|api[-_]?key|token)$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLikeKey();

    [GeneratedRegex(@"^(\d{1,5})(d|h)$")]
    private static partial Regex DurationShorthand();
}
