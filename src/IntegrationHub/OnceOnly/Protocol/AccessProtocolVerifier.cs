using IntegrationHub.Ledger;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.OnceOnly.Protocol;

public enum ChainBreak
{
    /// <summary>The row's stored hash is not the hash of its fields: the row was altered.</summary>
    HashMismatch,
    /// <summary>The row's PreviousHash is not the previous row's hash: a row before it was replaced or inserted.</summary>
    BrokenLink,
    /// <summary>A sequence number is missing: a row was deleted.</summary>
    Gap,
}

/// <summary>The verdict on the chain: intact with its length and last hash, or the first broken sequence number and why.</summary>
public sealed record ChainVerification(bool Intact, long Entries, string? LastHash, long? BrokenAt, ChainBreak? Break, string? Detail)
{
    public static ChainVerification Ok(long entries, string? lastHash) => new(true, entries, lastHash, null, null, null);
    public static ChainVerification Broken(long entries, long at, ChainBreak reason, string detail) => new(false, entries, null, at, reason, detail);
}

/// <summary>
/// Walks the access protocol in sequence order and checks every row: its sequence number follows the previous one,
/// its PreviousHash is the previous row's hash, and its hash is the hash of its fields. An alteration, deletion or
/// insertion inside the chain shows at the first row it touches. What a hash chain alone cannot show is a rewrite of the
/// whole tail or a truncation at the end: the last hash the verification reports is what operators keep elsewhere.
/// </summary>
public static class AccessProtocolVerifier
{
    public static async Task<ChainVerification> VerifyAsync(HubDbContext db, CancellationToken ct = default)
    {
        long expected = 1;
        var previousHash = AccessProtocolChain.Genesis;
        await foreach (var row in db.AccessProtocol.AsNoTracking().OrderBy(r => r.Sequence).AsAsyncEnumerable().WithCancellation(ct))
        {
            var verified = expected - 1;
            if (row.Sequence != expected)
                return ChainVerification.Broken(verified, expected, ChainBreak.Gap,
                    $"entry {expected} is missing: the next entry after {expected - 1} is {row.Sequence}");
            if (!string.Equals(row.PreviousHash, previousHash, StringComparison.Ordinal))
                return ChainVerification.Broken(verified, row.Sequence, ChainBreak.BrokenLink,
                    $"entry {row.Sequence} does not link to the hash of entry {row.Sequence - 1}");
            if (!string.Equals(AccessProtocolChain.HashOf(row), row.Hash, StringComparison.Ordinal))
                return ChainVerification.Broken(verified, row.Sequence, ChainBreak.HashMismatch,
                    $"entry {row.Sequence} does not match its hash: it was altered");
            previousHash = row.Hash;
            expected++;
        }
        return ChainVerification.Ok(expected - 1, expected == 1 ? null : previousHash);
    }
}
