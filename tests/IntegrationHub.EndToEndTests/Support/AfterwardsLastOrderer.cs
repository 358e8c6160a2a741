using Xunit.Abstractions;
using Xunit.Sdk;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// Orders a class's tests by name, those whose method starts with "Afterwards_" last: a suite that attacks the hub ends by
/// showing the hub still serves.
/// </summary>
public sealed class AfterwardsLastOrderer : ITestCaseOrderer
{
    public const string TypeName = "IntegrationHub.EndToEndTests.AfterwardsLastOrderer";
    public const string AssemblyName = "IntegrationHub.EndToEndTests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.Name.StartsWith("Afterwards_", StringComparison.Ordinal))
            .ThenBy(t => t.DisplayName, StringComparer.Ordinal);
}
