using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Ledger;
using IntegrationHub.Tenancy;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IntegrationHub.OnceOnly.Protocol;

public static class AccessProtocolExtensions
{
    /// <summary>The access protocol (<see cref="IAccessProtocol"/>), its pseudonyms and the settings of Hub:OnceOnly.</summary>
    public static IServiceCollection AddAccessProtocol(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AccessProtocolOptions>().Bind(configuration.GetSection(AccessProtocolOptions.Section));
        services.AddSingleton(sp => new PersonPseudonyms(ProtocolKey(
            sp.GetRequiredService<IOptions<AccessProtocolOptions>>().Value,
            sp.GetRequiredService<IOptions<HubOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<PersonPseudonyms>())));
        services.AddSingleton<IAccessProtocol, AccessProtocol>();
        return services;
    }

    /// <summary>The configured protocol key, or for the embedded default a random one kept in the key folder.</summary>
    private static byte[] ProtocolKey(AccessProtocolOptions protocol, HubOptions hub, ILogger logger)
    {
        if (protocol.ProtocolKey is { Length: > 0 } configured) return Encoding.UTF8.GetBytes(configured);
        var directory = Path.GetFullPath(hub.Keys.Directory ?? Path.Combine(hub.DataDirectory, "keys"));
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "protocol.key");
        if (!File.Exists(path))
        {
            logger.LogWarning("No Hub:OnceOnly:ProtocolKey configured; generated a local protocol key file for the embedded default");
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllText(temp, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            try { File.Move(temp, path, overwrite: false); }
            catch (IOException) when (File.Exists(path)) { File.Delete(temp); } // another process won the race; its key stands
        }
        return Encoding.UTF8.GetBytes(File.ReadAllText(path).Trim());
    }

    /// <summary>
    /// "protocol verify": checks the chain in the configured ledger and writes the verdict. Exit code 0 when intact,
    /// 1 with the first broken entry, 2 when the protocol cannot be read.
    /// </summary>
    public static async Task<int> VerifyAccessProtocolAsync(this IServiceProvider services, TextWriter output, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        ChainVerification result;
        try { result = await AccessProtocolVerifier.VerifyAsync(db, ct); }
        catch (System.Data.Common.DbException e)
        {
            await output.WriteLineAsync($"Could not read the access protocol (is the ledger migrated?): {e.Message}");
            return 2;
        }
        if (result.Intact)
        {
            await output.WriteLineAsync($"Access protocol intact: {result.Entries} entries" + (result.LastHash is null ? "" : $", last hash {result.LastHash}"));
            return 0;
        }
        await output.WriteLineAsync($"Access protocol broken at entry {result.BrokenAt} ({Describe(result.Break!.Value)}): {result.Detail}; "
            + $"{result.Entries} entries before it are intact");
        return 1;
    }

    private static string Describe(ChainBreak reason) => reason switch
    {
        ChainBreak.HashMismatch => "hash mismatch",
        ChainBreak.BrokenLink => "broken link",
        ChainBreak.Gap => "gap",
        _ => reason.ToString(),
    };
}
