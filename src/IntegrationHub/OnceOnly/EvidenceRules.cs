using System.Text.RegularExpressions;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;

namespace IntegrationHub.OnceOnly;

/// <summary>Why the hub refuses a lookup (reason codes of the refusal, in the access protocol and the API's problem).</summary>
public static class EvidenceRefusalReasons
{
    public const string ZweckFehlt = "ZWECK_FEHLT";
    /// <summary>No legal basis from the configured list, and no consent (none given at all, or a basis that is not on the list).</summary>
    public const string KeineRechtsgrundlage = "KEINE_RECHTSGRUNDLAGE";
    /// <summary>A consent reference was given, but its scope does not include the evidence type (and no valid legal basis either).</summary>
    public const string EinwilligungFehlt = "EINWILLIGUNG_FEHLT";
    public const string AndereKommune = "ANDERE_KOMMUNE";
    public const string RolleNichtBerechtigt = "ROLLE_NICHT_BERECHTIGT";
    public const string KeinAnbieter = "KEIN_ANBIETER";
    /// <summary>The requester claimed a consent that is not one the citizen gave (see <see cref="SubmissionConsents"/>): free text, another person's.</summary>
    public const string EinwilligungNichtBelegt = "EINWILLIGUNG_NICHT_BELEGT";
}

/// <summary>The provider that answers a lookup: its configuration entry, its target name and the target.</summary>
public sealed record EvidenceProviderEntry(EvidenceProviderOptions Options, string TargetName, TargetOptions Target);

/// <summary>The rules' verdict: allowed (with the provider to ask) or refused with a reason code and a detail without personal data.</summary>
public sealed record EvidenceDecision(EvidenceProviderEntry? Provider, string? ReasonCode, string? Detail)
{
    public bool Allowed => ReasonCode is null;
    public static EvidenceDecision Allow(EvidenceProviderEntry provider) => new(provider, null, null);
    public static EvidenceDecision Refuse(string reason, string detail, EvidenceProviderEntry? provider = null) => new(provider, reason, detail);
}

/// <summary>
/// Who may ask what. <see cref="EvidenceRequest.RequesterArs"/> is the municipality the lookup is made for (the case's);
/// the requester is who authenticated. Checked in this order: purpose, municipality, role, provider, legal basis (configured
/// for the provider and for the requester) or consent (its scope; that the citizen gave it, SubmissionConsents checks first).
/// </summary>
public sealed partial class EvidenceRules(IOptions<HubOptions> options, TenantDirectory? tenants = null)
{
    public EvidenceDecision Check(EvidenceRequest request, EvidenceRequester requester)
    {
        var eligible = Eligibility(request, requester);
        if (!eligible.Allowed) return eligible;
        var provider = eligible.Provider!;

        // A legal basis counts where the municipality's provider and this requester both list it for the type.
        var basis = Normalize(request.LegalBasis);
        var own = requester.LegalBases.GetValueOrDefault(request.EvidenceType) ?? [];
        if (basis is not null && provider.Options.LegalBases.Any(b => Normalize(b) == basis) && own.Any(b => Normalize(b) == basis))
            return EvidenceDecision.Allow(provider);
        var consentGiven = !string.IsNullOrWhiteSpace(request.ConsentReference);
        if (consentGiven && request.ConsentScope.Contains(request.EvidenceType, StringComparer.Ordinal))
            return EvidenceDecision.Allow(provider);

        if (consentGiven)
            return EvidenceDecision.Refuse(EvidenceRefusalReasons.EinwilligungFehlt,
                $"The consent's scope does not include {request.EvidenceType}" + (basis is null ? "." : ", and the legal basis is not one configured for it."), provider);
        return EvidenceDecision.Refuse(EvidenceRefusalReasons.KeineRechtsgrundlage, basis is null
            ? "Neither a legal basis nor the citizen's consent was given."
            : $"The legal basis is not one configured for {request.EvidenceType} and this requester, and no consent was given.", provider);
    }

    /// <summary>Everything but the justification: purpose, municipality, role and provider (allowed = with the provider to ask).</summary>
    public EvidenceDecision Eligibility(EvidenceRequest request, EvidenceRequester requester)
    {
        if (string.IsNullOrWhiteSpace(request.Purpose))
            return EvidenceDecision.Refuse(EvidenceRefusalReasons.ZweckFehlt, "The request names no purpose.");
        if (request.RequesterArs != requester.Ars)
            return EvidenceDecision.Refuse(EvidenceRefusalReasons.AndereKommune,
                $"The requester works for municipality {requester.Ars}, the request is for {request.RequesterArs}.");
        if (!requester.EvidenceTypes.Contains(request.EvidenceType))
            return EvidenceDecision.Refuse(EvidenceRefusalReasons.RolleNichtBerechtigt,
                $"The requester's role does not allow evidence type {request.EvidenceType}.");

        var provider = ProviderFor(request.RequesterArs, request.EvidenceType);
        if (provider is null)
            return EvidenceDecision.Refuse(EvidenceRefusalReasons.KeinAnbieter,
                $"No provider of {request.EvidenceType} is configured for municipality {request.RequesterArs}.");
        return EvidenceDecision.Allow(provider);
    }

    /// <summary>The provider of an evidence type for a municipality, if configured.</summary>
    public EvidenceProviderEntry? ProviderFor(string ars, string evidenceType)
    {
        // The running directory (settings and onboarded municipalities); the settings alone where there is none (unit tests).
        var hub = options.Value;
        var tenant = tenants is not null ? tenants.FindTenant(ars) : hub.Tenants.FirstOrDefault(t => t.Ars == ars);
        var configured = tenant?.Evidence.Providers.FirstOrDefault(p => p.Type == evidenceType);
        var target = configured is null ? null : tenants is not null ? tenants.FindTarget(configured.Target)?.Options : hub.Targets.GetValueOrDefault(configured.Target);
        return configured is not null && target is not null ? new EvidenceProviderEntry(configured, configured.Target, target) : null;
    }

    // "§ 23 Abs. 3 WoGG" and "§23  Abs. 3 WoGG" name the same basis; spacing is not a legal difference.
    private static string? Normalize(string? basis) =>
        string.IsNullOrWhiteSpace(basis) ? null : Whitespace().Replace(basis.Trim(), " ").Replace("§ ", "§");

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
