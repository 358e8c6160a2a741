using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace IntegrationHub.Security.AtRest;

/// <summary>
/// One municipality's data key in the ledger (table DataKeys), only ever stored wrapped: AES-256-GCM under the key-encryption
/// key derived from Hub:Keys:MasterKey, the ARS and version as associated data. The primary key (Ars, Version) is what
/// lets several hub processes race to create a municipality's first key and end with one.
/// </summary>
public sealed class DataKeyRecord
{
    /// <summary>The municipality's ARS, or <see cref="MunicipalityDataKeys.HubWideArs"/> for data that belongs to none.</summary>
    public string Ars { get; set; } = string.Empty;
    public int Version { get; set; }
    /// <summary>Base64 of nonce (12) | tag (16) | wrapped key (32).</summary>
    public string WrappedKey { get; set; } = string.Empty;
    public DateTimeOffset CreatedAt { get; set; }

    internal static void Configure(EntityTypeBuilder<DataKeyRecord> e)
    {
        e.ToTable("DataKeys");
        e.HasKey(x => new { x.Ars, x.Version });
        e.Property(x => x.Ars).HasMaxLength(12);
        e.Property(x => x.Version).ValueGeneratedNever();
    }
}
