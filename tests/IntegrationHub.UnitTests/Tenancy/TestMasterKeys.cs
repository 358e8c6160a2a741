using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.UnitTests.Tenancy;

/// <summary>Master keys for tests: 32 bytes derived from a label (strong enough for the start-up check, the same every run).</summary>
public static class TestMasterKeys
{
    public static readonly string Default = For("unit-test");
    public static readonly string Other = For("another-master-key");

    public static string For(string label) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(label)));
}
