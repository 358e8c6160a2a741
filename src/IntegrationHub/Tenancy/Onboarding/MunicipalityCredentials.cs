using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Tenancy.Onboarding;

/// <summary>
/// Credential references of a municipality file resolve only inside that municipality's own namespace, so a file (and
/// an admin who covers only that municipality) can never name the hub's keys, its connection strings or another
/// municipality's secrets:
/// <list type="bullet">
/// <item><c>secret:NAME</c> reads the setting <c>Hub:Secrets:{ARS}:{NAME}</c> (NAME without ':' or '/').</item>
/// <item><c>env:HUB_MUNICIPALITY_{ARS}_{NAME}</c> reads that environment variable; no other <c>env:</c> name is allowed.</item>
/// </list>
/// The same rules hold for references in a target's options. A reference outside the namespace is refused by
/// validation (finding <see cref="ForbiddenCode"/>) and never resolved, not even from a version stored before.
/// </summary>
public static partial class MunicipalityCredentials
{
    public const string ForbiddenCode = "credential-reference-forbidden";
    public const string EnvironmentScheme = "env:", SecretScheme = "secret:";
    public const string EnvironmentPrefix = "HUB_MUNICIPALITY_";

    /// <summary>The prefix every <c>env:</c> reference of the municipality starts with: HUB_MUNICIPALITY_{ARS}_.</summary>
    public static string EnvironmentPrefixOf(string ars) => $"{EnvironmentPrefix}{ars}_";

    /// <summary>The setting a <c>secret:NAME</c> reference reads.</summary>
    public static string SecretSetting(string ars, string name) => $"{HubOptions.Section}:Secrets:{ars}:{name}";

    /// <summary>Written as a reference (env: or secret:), whether or not the namespace allows it; anything else is a literal.</summary>
    public static bool IsReference(string value) =>
        value.StartsWith(EnvironmentScheme, StringComparison.Ordinal) || value.StartsWith(SecretScheme, StringComparison.Ordinal);

    /// <summary>True when <paramref name="reference"/> stays inside the namespace of municipality <paramref name="ars"/>.</summary>
    public static bool IsAllowed(string ars, string reference)
    {
        if (!ArsPattern().IsMatch(ars)) return false;
        if (reference.StartsWith(SecretScheme, StringComparison.Ordinal))
            return SecretName().IsMatch(reference[SecretScheme.Length..]);
        if (reference.StartsWith(EnvironmentScheme, StringComparison.Ordinal))
        {
            var name = reference[EnvironmentScheme.Length..];
            var prefix = EnvironmentPrefixOf(ars);
            return name.StartsWith(prefix, StringComparison.Ordinal) && EnvironmentSuffix().IsMatch(name[prefix.Length..]);
        }
        return false;
    }

    /// <summary>What a file of municipality <paramref name="ars"/> may write instead (for findings).</summary>
    public static string Expected(string ars)
    {
        var shown = ArsPattern().IsMatch(ars) ? ars : "{ARS}";
        return $"secret:NAME (read from {SecretSetting(shown, "NAME")}) or env:{EnvironmentPrefixOf(shown)}NAME";
    }

    /// <summary>
    /// Resolves a reference of municipality <paramref name="ars"/>: null when it is outside the namespace or has no value.
    /// </summary>
    public static Func<string, string?> Resolver(IConfiguration configuration, string ars) => reference =>
    {
        if (!IsAllowed(ars, reference)) return null;
        var value = reference.StartsWith(SecretScheme, StringComparison.Ordinal)
            ? configuration[SecretSetting(ars, reference[SecretScheme.Length..])]
            : Environment.GetEnvironmentVariable(reference[EnvironmentScheme.Length..]);
        return string.IsNullOrEmpty(value) ? null : value;
    };

    [GeneratedRegex(@"^\d{12}$")]
    private static partial Regex ArsPattern();

    // No ':' (a configuration path separator) and no '/': the name cannot leave Hub:Secrets:{ARS}.
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")]
    private static partial Regex SecretName();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_]{0,99}$")]
    private static partial Regex EnvironmentSuffix();
}
