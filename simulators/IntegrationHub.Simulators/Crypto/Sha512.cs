namespace IntegrationHub.Simulators.Crypto;

/// <summary>SHA-512 in the lowercase hex form FIT-Connect metadata uses for data and attachment hashes.</summary>
public static class Sha512
{
    public static string Hex(ReadOnlySpan<byte> data) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA512.HashData(data));
}
