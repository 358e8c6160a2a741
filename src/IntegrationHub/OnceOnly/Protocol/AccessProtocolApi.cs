using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Ledger;
using IntegrationHub.Problems;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.OnceOnly.Protocol;

/// <summary>One protocol entry as the Datenschutzcockpit shows it.</summary>
public sealed record ProtocolEntryView(
    long Sequence,
    DateTimeOffset At,
    Guid RequestId,
    string RequesterArs,
    string RequesterAuthority,
    string RequesterProcedure,
    string EvidenceType,
    string Purpose,
    string? LegalBasis,
    string? ConsentReference,
    string Outcome,
    string? ReasonCode,
    string? Provider);

/// <summary>A page of a person's entries, newest first.</summary>
public sealed record ProtocolPage(string Pseudonym, int Offset, int Limit, int Total, IReadOnlyList<ProtocolEntryView> Entries);

/// <summary>
/// The per-person view of the access protocol, for a citizen-facing Datenschutzcockpit: by pseudonym, or by the person
/// (the hub computes the pseudonym, so the cockpit never needs the protocol key). Authenticated with an API key
/// (<c>X-Api-Key</c>) whose SHA-256 is configured in Hub:OnceOnly:ProtocolApiKeySha256.
/// </summary>
public static class AccessProtocolApi
{
    public const string ApiKeyHeader = "X-Api-Key";
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static WebApplication MapAccessProtocol(this WebApplication app)
    {
        var group = app.MapGroup("/api/v1/protocol/persons").WithTags("Access protocol").AddEndpointFilter(RequireApiKeyAsync);
        group.MapGet("/{pseudonym}", ByPseudonymAsync);
        group.MapPost("/lookup", ByPersonAsync).DisableAntiforgery();
        return app;
    }

    private static async ValueTask<object?> RequireApiKeyAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var configured = http.RequestServices.GetRequiredService<IOptions<AccessProtocolOptions>>().Value.ProtocolApiKeySha256;
        var presented = http.Request.Headers[ApiKeyHeader].ToString();
        if (!IsValidKey(configured, presented))
            return ProblemResults.Problem(ProblemTypes.Unauthorized, $"The access protocol needs a valid {ApiKeyHeader} header.");
        return await next(context);
    }

    /// <summary>Whether <paramref name="presented"/> hashes to <paramref name="configuredSha256Hex"/> (constant time; no key configured admits nobody).</summary>
    public static bool IsValidKey(string? configuredSha256Hex, string? presented)
    {
        if (string.IsNullOrWhiteSpace(configuredSha256Hex) || string.IsNullOrEmpty(presented)) return false;
        byte[] expected;
        try { expected = Convert.FromHexString(configuredSha256Hex.Trim()); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), expected);
    }

    private static async Task<IResult> ByPseudonymAsync(string pseudonym, int? offset, int? limit, HubDbContext db, CancellationToken ct)
    {
        if (!pseudonym.StartsWith(PersonPseudonyms.Prefix, StringComparison.Ordinal) || pseudonym.Length > 80)
            return ProblemResults.Problem(ProblemTypes.InvalidRequest, $"A pseudonym starts with '{PersonPseudonyms.Prefix}'.");
        return await PageAsync(db, pseudonym, offset, limit, ct);
    }

    private static async Task<IResult> ByPersonAsync(PersonReference? person, int? offset, int? limit, IAccessProtocol protocol, HubDbContext db,
        CancellationToken ct)
    {
        if (person is null) return ProblemResults.Problem(ProblemTypes.PersonReferenceInvalid, "The body is a JSON person reference.");
        if (!PersonPseudonyms.IsComplete(person, out var problem)) return ProblemResults.Problem(ProblemTypes.PersonReferenceInvalid, problem);
        return await PageAsync(db, protocol.PseudonymOf(person), offset, limit, ct);
    }

    private static async Task<IResult> PageAsync(HubDbContext db, string pseudonym, int? offset, int? limit, CancellationToken ct)
    {
        var skip = offset ?? 0;
        var take = limit ?? DefaultLimit;
        if (skip < 0 || take is < 1 or > MaxLimit)
            return ProblemResults.Problem(ProblemTypes.InvalidRequest, $"offset is at least 0, limit between 1 and {MaxLimit}.");
        var rows = db.AccessProtocol.AsNoTracking().Where(r => r.PersonPseudonym == pseudonym);
        var total = await rows.CountAsync(ct);
        var entries = await rows.OrderByDescending(r => r.Sequence).Skip(skip).Take(take)
            .Select(r => new ProtocolEntryView(r.Sequence, r.At, r.RequestId, r.RequesterArs, r.RequesterAuthority, r.RequesterProcedure,
                r.EvidenceType, r.Purpose, r.LegalBasis, r.ConsentReference, r.Outcome, r.ReasonCode, r.Provider))
            .ToListAsync(ct);
        return Results.Ok(new ProtocolPage(pseudonym, skip, take, total, entries));
    }
}
