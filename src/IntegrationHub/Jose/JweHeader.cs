using System.Text.Json;

namespace IntegrationHub.Jose;

/// <summary>The JWE protected header. <see cref="All"/> holds every member (detached clones, safe to keep).</summary>
public sealed record JweHeader(
    string Alg,
    string Enc,
    string? Kid,
    string? Cty,
    string? Zip,
    IReadOnlyDictionary<string, JsonElement> All);
