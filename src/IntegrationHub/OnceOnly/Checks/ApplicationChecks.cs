using System.Xml.Linq;
using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.OnceOnly.Checks;

/// <summary>What a check of the application against an authority's register found (codes only, no personal data).</summary>
/// <param name="Discrepancies">The fields that differ, e.g. "anschrift.strasse"; never their values.</param>
public sealed record ApplicationCheck(string EvidenceType, string Outcome, IReadOnlyList<string> Discrepancies, string? ReasonCode, string? Provider)
{
    /// <summary>The history entry's detail: "ABWEICHUNG:anschrift.strasse,anschrift.postleitzahl", "ABGELEHNT:EINWILLIGUNG_FEHLT".</summary>
    public string Detail => Outcome + (Discrepancies.Count > 0 ? ":" + string.Join(",", Discrepancies) : ReasonCode is null ? "" : ":" + ReasonCode);

    public static ApplicationCheck Parse(string evidenceType, string? detail, string? provider)
    {
        var parts = (detail ?? CheckOutcomes.NotPossible).Split(':', 2);
        var rest = parts.Length > 1 ? parts[1] : null;
        return parts[0] == CheckOutcomes.Discrepancy
            ? new ApplicationCheck(evidenceType, parts[0], rest?.Split(',') ?? [], null, provider)
            : new ApplicationCheck(evidenceType, parts[0], [], rest, provider);
    }
}

/// <summary>The outcomes a caseworker sees in the handover (fall:pruefung/ergebnis).</summary>
public static class CheckOutcomes
{
    public const string Match = "UEBEREINSTIMMUNG";
    public const string Discrepancy = "ABWEICHUNG";
    /// <summary>The register could not be asked (unavailable, timed out): the caseworker checks by hand.</summary>
    public const string NotPossible = "NICHT_MOEGLICH";
    /// <summary>The lookup was not allowed (no consent, no legal basis) or the register refused (person not found).</summary>
    public const string Refused = "ABGELEHNT";
    /// <summary>The register's answer was not compared: the application states nothing to compare it with, or the answer has
    /// no comparable data (<see cref="NotCheckedReasons"/>). Never reported as a match.</summary>
    public const string NotChecked = "NICHT_GEPRUEFT";
}

/// <summary>
/// Once-only while validating: where the route says so (<c>Routes[].Checks</c>), the hub itself asks the municipality's
/// registers about the applicant — justified by the citizen's consent in the application (einwilligung with the evidence
/// type in its umfang) or else the legal basis configured for the evidence type — and compares what it learns with what
/// the application states (<see cref="EvidenceComparison"/>). Discrepancies are marked for the caseworker instead of
/// asking the citizen for a Meldebescheinigung. A register that cannot be reached never holds the application up: the
/// check says so. Every lookup is in the access protocol (EvidenceService writes it).
/// </summary>
public sealed class ApplicationChecks(EvidenceService evidence, TenantDirectory tenants, ILogger<ApplicationChecks> logger)
{
    /// <summary>History steps of checks: "check:MELDEDATEN".</summary>
    public const string HistoryPrefix = "check:";
    public const string Procedure = "hub-antragspruefung";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The evidence types the route of this submission wants checked.</summary>
    public IReadOnlyList<string> ChecksFor(Submission submission) =>
        tenants.FindTenant(submission.Ars)?.Routes.FirstOrDefault(r => r.LeikaKey == submission.LeikaKey)?.Checks ?? [];

    /// <summary>Runs each check and appends its result to the submission's history (in the caller's unit of work).</summary>
    public async Task<IReadOnlyList<ApplicationCheck>> RunAsync(HubDbContext db, Submission submission, XDocument application,
        IReadOnlyList<string> evidenceTypes, CancellationToken ct)
    {
        var results = new List<ApplicationCheck>();
        if (application.Root is null || ApplicationStatement.Read(application.Root) is not { } stated) return results;
        var tenant = tenants.FindTenant(submission.Ars);
        foreach (var type in evidenceTypes)
        {
            var check = await CheckAsync(submission, tenant, stated, type, ct);
            db.AddHistory(submission.Id, HistoryPrefix + type, check.Provider, check.Detail);
            results.Add(check);
            logger.LogInformation("Application check {EvidenceType}: {Outcome}", type, check.Outcome);
        }
        return results;
    }

    /// <summary>The checks recorded in a submission's history, latest per evidence type.</summary>
    public static IReadOnlyList<ApplicationCheck> FromHistory(IEnumerable<SubmissionHistoryEntry> history) =>
        history.Where(h => h.Step.StartsWith(HistoryPrefix, StringComparison.Ordinal))
            .GroupBy(h => h.Step).Select(g => g.OrderBy(h => h.Id).Last())
            .Select(h => ApplicationCheck.Parse(h.Step[HistoryPrefix.Length..], h.Detail, h.Target)).ToList();

    private async Task<ApplicationCheck> CheckAsync(Submission submission, TenantOptions? tenant, ApplicationStatement stated, string type,
        CancellationToken ct)
    {
        // Nothing in the application to compare with: the register is not asked at all (data minimisation).
        if (EvidenceComparison.NotComparable(type, stated) is { } reason)
            return new ApplicationCheck(type, CheckOutcomes.NotChecked, [], reason, null);

        var consented = stated.Consent.Contains(type, StringComparer.Ordinal);
        var legalBasis = tenant?.Evidence.Providers.FirstOrDefault(p => p.Type == type)?.LegalBases.FirstOrDefault();
        var person = stated.Applicant;
        var request = new EvidenceRequest(Guid.NewGuid(), submission.Ars, tenant?.Name ?? submission.Ars, Procedure, type,
            $"Prüfung der Angaben im Antrag {submission.Id} ({submission.ServiceName})",
            consented ? null : legalBasis, consented ? SubmissionConsents.Reference(submission.Id) : null, consented ? [type] : [], person, DateTimeOffset.UtcNow);
        var requester = new EvidenceRequester("integrationhub", submission.Ars, request.RequesterAuthority, Procedure, new HashSet<string> { type },
            new Dictionary<string, IReadOnlyList<string>> { [type] = legalBasis is null ? [] : [legalBasis] });

        var result = await evidence.LookupAsync(request, requester, ct, Timeout);
        return result.Outcome switch
        {
            EvidenceOutcomes.Provided => EvidenceComparison.Compare(type, result.Evidence!.Data, stated,
                tenant?.Evidence.IncomeTolerancePercent ?? TenantEvidenceOptions.DefaultIncomeTolerancePercent, result.Provider),
            EvidenceOutcomes.Refused => new ApplicationCheck(type, CheckOutcomes.Refused, [], result.ReasonCode, result.Provider),
            _ => new ApplicationCheck(type, CheckOutcomes.NotPossible, [], result.Outcome, result.Provider),
        };
    }
}
