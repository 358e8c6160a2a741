using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Simulators.Crypto;

/// <summary>
/// FIT-Connect's callback authentication as the callers compute it (the delivery service, the Prosoz-like procedure):
/// header <c>callback-authentication</c> = hex HMAC-SHA512 keyed with the shared secret over <c>{callback-timestamp}.{body}</c>.
/// </summary>
public static class CallbackSignature
{
    public static string Sign(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return Convert.ToHexStringLower(HMACSHA512.HashData(Encoding.UTF8.GetBytes(secret), message));
    }
}
