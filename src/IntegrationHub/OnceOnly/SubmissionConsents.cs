using System.Xml.Linq;
using IntegrationHub.Ledger;
using IntegrationHub.OnceOnly.Checks;
using IntegrationHub.Storage;
using IntegrationHub.Tenancy;
using IntegrationHub.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IntegrationHub.OnceOnly;

/// <summary>
/// Binds a requester's consent claim to a consent the citizen gave: the reference must be <c>submission:&lt;id&gt;</c> of an
/// accepted submission of the requester's municipality whose application carries <c>einwilligung</c> (nachweisabrufErteilt)
/// and whose applicant is the person asked about. The scope is then the citizen's <c>umfang</c>, whatever the requester
/// claimed. Anything else (free text, another person's or municipality's submission, a submission whose payload retention
/// removed) is no consent. The application is read from the stored original, never from an operator's edit.
/// </summary>
public sealed class SubmissionConsents(HubDbContext db, SubmissionReader reader, IOptions<HubOptions> options)
{
    public const string Prefix = "submission:";

    public static string Reference(Guid submissionId) => Prefix + submissionId;

    /// <summary>The evidence types the citizen consented to for this request's person and municipality; null if the reference names no such consent.</summary>
    public async Task<IReadOnlyList<string>?> ScopeAsync(EvidenceRequest request, CancellationToken ct)
    {
        var reference = request.ConsentReference?.Trim();
        if (reference is null || !reference.StartsWith(Prefix, StringComparison.Ordinal) || !Guid.TryParse(reference[Prefix.Length..], out var id))
            return null;
        var submission = await db.Submissions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (submission is not { Status: SubmissionStatus.Accepted } || submission.Ars != request.RequesterArs) return null;

        XDocument application;
        try
        {
            var (_, _, data) = await reader.ReadDataAsync(submission, ct);
            application = XDocument.Parse(XmlContractValidator.LoadAndValidate(data, options.Value.Limits.MaxXmlCharacters).OuterXml);
        }
        catch (Exception e) when (e is BlobNotFoundException or SubmissionProblemException)
        {
            return null;
        }
        var stated = application.Root is null ? null : ApplicationStatement.Read(application.Root);
        return stated is not null && IsApplicant(stated.Applicant, request.Person) ? stated.Consent : null;
    }

    // By IDNr where the request names one (the application must carry the same), else by name and birth date.
    private static bool IsApplicant(PersonReference applicant, PersonReference asked) =>
        asked.IdNr is not null
            ? asked.IdNr == applicant.IdNr
            : asked.Geburtsdatum == applicant.Geburtsdatum && SameName(asked.Familienname, applicant.Familienname) && SameName(asked.Vorname, applicant.Vorname);

    private static bool SameName(string? a, string? b) =>
        a is not null && b is not null && string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
}
