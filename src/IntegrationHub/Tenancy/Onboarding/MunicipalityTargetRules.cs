namespace IntegrationHub.Tenancy.Onboarding;

/// <summary>
/// What a file may set on the targets it defines beyond kind, endpoint and credentials: options never override the
/// kind, the address or a secret, name no file of the hub's machine, and (for an admin who covers only some
/// municipalities) point only at hosts of Hub:Onboarding:AllowedTargetHosts.
/// </summary>
public static class MunicipalityTargetRules
{
    /// <summary>The settings key of the allow-list of hosts a scoped admin's files may use for their own targets.</summary>
    public const string AllowedHostsSetting = $"{HubOptions.Section}:Onboarding:AllowedTargetHosts";

    /// <summary>Options that would replace what the file states elsewhere (kind, endpoint) or a secret (only from credentials).</summary>
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(TargetOptions.Kind), nameof(TargetOptions.BaseUrl), "Endpoint", nameof(TargetOptions.CallbackSecret), "ApiKey", "Mailbox:ApiKey",
    };

    /// <summary>Options the adapters read as PEM text or, when not PEM, as the path of a file on the hub's machine.</summary>
    private static readonly HashSet<string> PemOrPath = new(StringComparer.OrdinalIgnoreCase) { "Mailbox:ProcedureCertificate", "IdentityProviderKey" };

    /// <summary>An option's settings key: "mailbox.baseUrl" is Mailbox:BaseUrl.</summary>
    public static string SettingKey(string option) => option.Replace('.', ':');

    public static bool IsReserved(string option) => Reserved.Contains(SettingKey(option));

    /// <summary>A value of an option the adapter would read as a file path when it is not inline PEM.</summary>
    public static bool IsPath(string option, string value) =>
        PemOrPath.Contains(SettingKey(option)) && !value.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal);

    /// <summary>
    /// Whether <paramref name="address"/>'s host is on the list: an entry is a host name or IP (case-insensitive), or
    /// "*.example.de" for every host below example.de.
    /// </summary>
    public static bool IsAllowedHost(IReadOnlyCollection<string> allowed, Uri address)
    {
        var host = address.IdnHost.TrimEnd('.');
        foreach (var raw in allowed)
        {
            var entry = raw.Trim().TrimEnd('.');
            if (entry.Length == 0) continue;
            if (entry.StartsWith("*.", StringComparison.Ordinal)
                    ? host.EndsWith(entry[1..], StringComparison.OrdinalIgnoreCase) && host.Length > entry.Length - 1
                    : host.Equals(entry, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    /// <summary>An absolute http(s) URL, or null.</summary>
    public static Uri? HttpAddress(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;
}
