using System.Globalization;
using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Security.AtRest;

/// <summary>
/// Whether values at rest without the envelope may be read as plaintext (Hub:Security:AllowLegacyPlaintext). Unset, the
/// ledger decides: one whose schema was created at version <see cref="EnvelopeSchemaVersion"/> or later was never written
/// in plaintext, so it is strict; one created before, and migrated to that version later, may still hold plaintext rows
/// and reads them. The migration history (LedgerSchemaVersions) tells which: a new ledger gets version 1 and the
/// envelope's version in the same migration run, an old one gets the envelope's version at a later start. Without the
/// history (a schema made otherwise) the ledger counts as new. Decided once per process.
/// </summary>
public sealed class LegacyPlaintextPolicy(IServiceScopeFactory scopes, IOptions<HubOptions> options)
{
    /// <summary>The schema version (0007_data_at_rest) from which every protected value is written in an envelope.</summary>
    public const int EnvelopeSchemaVersion = 7;
    /// <summary>Scripts applied further apart than this came from different migration runs.</summary>
    public static readonly TimeSpan SameRun = TimeSpan.FromMinutes(1);

    private bool? _allowed;

    public async Task<bool> AllowedAsync(CancellationToken ct)
    {
        if (options.Value.Security.AllowLegacyPlaintext is { } configured) return configured;
        return _allowed ??= await LedgerPredatesEnvelopeAsync(ct);
    }

    /// <exception cref="AtRestDataException">The value has no envelope and legacy plaintext is refused.</exception>
    public async Task RequireAllowedAsync(CancellationToken ct)
    {
        if (!await AllowedAsync(ct))
            throw AtRestEnvelope.Unreadable(
                "it has no envelope, and values in plaintext are refused on this ledger (Hub:Security:AllowLegacyPlaintext is false, or unset on a ledger created with the envelope)");
    }

    private async Task<bool> LedgerPredatesEnvelopeAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT \"Version\", \"AppliedAt\" FROM \"LedgerSchemaVersions\" WHERE \"Version\" IN (1, {EnvelopeSchemaVersion})";
            var appliedAt = new Dictionary<int, DateTimeOffset>();
            try
            {
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                    appliedAt[reader.GetInt32(0)] = DateTimeOffset.Parse(reader.GetString(1), CultureInfo.InvariantCulture);
            }
            catch (System.Data.Common.DbException)
            {
                return false; // no migration history: not made by an older hub
            }
            return appliedAt.TryGetValue(1, out var created)
                && (!appliedAt.TryGetValue(EnvelopeSchemaVersion, out var envelope) || envelope - created > SameRun);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
