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
public sealed class ConsoleHubFixture : HubFixture
{
    public const string ReaderKey = "console-reader-key";
    public const string OperatorKey = "console-operator-key";
    public const string AdminKey = "console-admin-key";
    /// <summary>A reader who sees Darmstadt only.</summary>
    public const string DarmstadtReaderKey = "console-darmstadt-key";

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
        };
        for (var i = 0; i < operators.Length; i++)
        {
            var prefix = $"Hub:Operations:Operators:{10 + i}:";
            yield return new(prefix + "Name", operators[i].Name);
            yield return new(prefix + "Role", operators[i].Role);
            yield return new(prefix + "KeySha256", OperatorDirectory.HashKey(operators[i].Key));
            if (operators[i].Ars is { } ars) yield return new(prefix + "Municipalities:0", ars);
        }
    }

    protected override void ConfigureServices(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<IFailedMessages>(FailedMessages));
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleHubFixture>
{
    public const string Name = "hub with the operations console on a real port";
}
