using IntegrationHub.Operations;
using IntegrationHub.Operations.Access;
using IntegrationHub.Simulators;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The hub on a real 127.0.0.1 port (a browser reaches it), with the console's test operators and an in-memory
/// failed-message store that the console's tests seed.
/// </summary>
public class ConsoleHubFixture : HubFixture
{
    public const string ReaderKey = "console-reader-key";
    public const string OperatorKey = "console-operator-key";
    public const string AdminKey = "console-admin-key";
    /// <summary>A reader who sees Darmstadt only.</summary>
    public const string DarmstadtReaderKey = "console-darmstadt-key";
    /// <summary>An operator whose configuration the session tests change while signed in (settings index <see cref="SessionOperatorIndex"/>).</summary>
    public const string SessionKey = "console-session-key";
    public const int SessionOperatorIndex = 14;

    public static readonly Operator Reader = new("console-reader", OperatorRole.Reader);
    public static readonly Operator Admin = new("console-admin", OperatorRole.Admin);
    public static readonly Operator DarmstadtReader = new("console-darmstadt", OperatorRole.Reader, [Darmstadt]);

    public InMemoryFailedMessages FailedMessages { get; } = new();

    protected override bool ListensOnRealPort => true;

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators)
    {
        // Indexes after the embedded default's four operators, which stay as they are.
        var operators = new (string Name, string Role, string Key, string? Ars)[]
        {
            ("console-reader", "Reader", ReaderKey, null), ("console-operator", "Operator", OperatorKey, null),
            ("console-admin", "Admin", AdminKey, null), ("console-darmstadt", "Reader", DarmstadtReaderKey, Darmstadt),
            ("console-session", "Operator", SessionKey, null),
        };
        for (var i = 0; i < operators.Length; i++)
        {
            var prefix = $"Hub:Operations:Operators:{10 + i}:";
            yield return new(prefix + "Name", operators[i].Name);
            yield return new(prefix + "Role", operators[i].Role);
            yield return new(prefix + "KeySha256", OperatorDirectory.HashKey(operators[i].Key));
            yield return new(prefix + "Municipalities:0", operators[i].Ars ?? Operator.AllMunicipalities);
        }
    }

    /// <summary>The page tests use an in-memory store they can seed; the browser test uses the hub's own (see below).</summary>
    protected virtual bool UsesInMemoryStore => true;

    protected override void ConfigureServices(IServiceCollection services)
    {
        if (UsesInMemoryStore) services.Replace(ServiceDescriptor.Singleton<IFailedMessages>(FailedMessages));
    }
}

/// <summary>
/// The console's hub with its real failed-message store and a Prosoz-like target that fails at once (no retries, short
/// timeout): a simulated outage leaves a real failed group behind.
/// </summary>
public sealed class ConsoleOutageHubFixture : ConsoleHubFixture
{
    protected override bool UsesInMemoryStore => false;

    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) =>
        base.Settings(simulators).Concat(new Dictionary<string, string>
        {
            ["Hub:Targets:prosoz:Timeout"] = "00:00:05",
            ["Hub:Targets:prosoz:Resilience:MaxRetries"] = "0",
        });
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleHubFixture>
{
    public const string Name = "hub with the operations console on a real port";
}
