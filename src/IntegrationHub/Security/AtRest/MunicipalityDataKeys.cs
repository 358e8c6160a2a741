using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Security.AtRest;

/// <summary>A municipality's data key: a 256-bit AES key and its version.</summary>
public sealed record DataKey(string Ars, int Version, byte[] Key);

/// <summary>
/// The data keys of data at rest: one random 256-bit key per municipality (ARS), made on first use, kept in the ledger
/// wrapped with a key-encryption key derived from the master key (<see cref="KeyStore.DerivedKey"/>) and, unwrapped, in
/// memory only. Data that belongs to no municipality (a failed message nobody could read) uses the hub-wide key.
/// </summary>
public sealed class MunicipalityDataKeys(IServiceScopeFactory scopes, KeyStore keys)
{
    /// <summary>The "municipality" of data without one.</summary>
    public const string HubWideArs = "000000000000";
    public const int CurrentVersion = 1;
    private const string Purpose = "integrationhub:data-keys:v1";
    private const int NonceBytes = 12;
    private const int TagBytes = 16;
    private const int KeyBytes = 32;

    private readonly Lazy<byte[]> _keyEncryptionKey = new(() => keys.DerivedKey(Purpose));
    private readonly ConcurrentDictionary<(string Ars, int Version), Task<DataKey>> _cache = new();

    /// <summary>The key new data of this municipality is encrypted with (made and stored on first use).</summary>
    public Task<DataKey> CurrentAsync(string? ars, CancellationToken ct) => GetAsync(KeyArs(ars), CurrentVersion, create: true, ct);

    /// <summary>Whose key protects data of <paramref name="ars"/>: its own, or the hub-wide one when there is no (usable) ARS.</summary>
    public static string KeyArs(string? ars) =>
        ars is { Length: > 0 and <= 12 } && ars.All(char.IsAsciiLetterOrDigit) ? ars : HubWideArs;

    /// <summary>The key version <paramref name="version"/> of this municipality, for reading; never made here.</summary>
    public Task<DataKey> GetAsync(string ars, int version, CancellationToken ct) => GetAsync(ars, version, create: version == CurrentVersion, ct);

    private async Task<DataKey> GetAsync(string ars, int version, bool create, CancellationToken ct)
    {
        if (KeyArs(ars) != ars) throw new AtRestDataException("A data key belongs to an ARS of up to 12 letters or digits.");
        var task = _cache.GetOrAdd((ars, version), key => LoadOrCreateAsync(key.Ars, key.Version, create));
        try
        {
            return await task.WaitAsync(ct);
        }
        catch (Exception) when (task.IsFaulted || task.IsCanceled)
        {
            _cache.TryRemove(new KeyValuePair<(string, int), Task<DataKey>>((ars, version), task)); // the next caller tries again
            throw;
        }
    }

    private async Task<DataKey> LoadOrCreateAsync(string ars, int version, bool create)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        for (var attempt = 1; ; attempt++)
        {
            db.ChangeTracker.Clear();
            var row = await db.DataKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Ars == ars && k.Version == version);
            if (row is not null) return new DataKey(ars, version, Unwrap(row));
            if (!create) throw new AtRestDataException($"There is no data key version {version} for municipality {ars}.");

            var key = RandomNumberGenerator.GetBytes(KeyBytes);
            db.DataKeys.Add(new DataKeyRecord { Ars = ars, Version = version, WrappedKey = Wrap(ars, version, key), CreatedAt = DateTimeOffset.UtcNow });
            try
            {
                await db.SaveChangesAsync();
                return new DataKey(ars, version, key);
            }
            catch (DbUpdateException) when (attempt < 5)
            {
                // Another hub process made this key at the same moment (primary key): its key stands, read it.
                await Task.Delay(20 * attempt);
            }
        }
    }

    /// <summary>The data key wrapped for the ledger: base64 of nonce | tag | ciphertext, ARS and version as associated data.</summary>
    public string Wrap(string ars, int version, byte[] key)
    {
        var output = new byte[NonceBytes + TagBytes + key.Length];
        RandomNumberGenerator.Fill(output.AsSpan(0, NonceBytes));
        using var aes = new AesGcm(_keyEncryptionKey.Value, TagBytes);
        aes.Encrypt(output.AsSpan(0, NonceBytes), key, output.AsSpan(NonceBytes + TagBytes), output.AsSpan(NonceBytes, TagBytes), WrapContext(ars, version));
        return Convert.ToBase64String(output);
    }

    /// <exception cref="AtRestDataException">Not wrapped with this master key, or for another municipality or version.</exception>
    public byte[] Unwrap(DataKeyRecord row)
    {
        var input = Convert.FromBase64String(row.WrappedKey);
        if (input.Length != NonceBytes + TagBytes + KeyBytes) throw new AtRestDataException($"The data key of municipality {row.Ars} has an impossible size.");
        var key = new byte[KeyBytes];
        try
        {
            using var aes = new AesGcm(_keyEncryptionKey.Value, TagBytes);
            aes.Decrypt(input.AsSpan(0, NonceBytes), input.AsSpan(NonceBytes + TagBytes), input.AsSpan(NonceBytes, TagBytes), key, WrapContext(row.Ars, row.Version));
        }
        catch (CryptographicException)
        {
            throw new AtRestDataException(
                $"The data key version {row.Version} of municipality {row.Ars} does not unwrap: another master key (Hub:Keys:MasterKey) wrapped it, or it was changed.");
        }
        return key;
    }

    private static byte[] WrapContext(string ars, int version) => Encoding.ASCII.GetBytes($"data-key|{ars}|{version}");
}

/// <summary>Data at rest that cannot be read: tampered, keyed for another municipality or another row, or its key is missing.</summary>
public sealed class AtRestDataException(string message) : Exception(message);
