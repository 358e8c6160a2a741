using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Intake.Callbacks;

public enum CallbackVerdict { Valid, MissingHeaders, Expired, BadSignature, Replayed }

/// <summary>
/// FIT-Connect's callback authentication, used for every callback the hub receives (the delivery service's new-submission
/// callbacks and the procedures' status reports): header <c>callback-authentication</c> is the hex HMAC-SHA512, keyed
/// with the shared secret, over <c>{callback-timestamp}.{body}</c>; <c>callback-timestamp</c> is Unix seconds and may be
/// at most 5 minutes off. The signature is compared in constant time; one seen within the window is a replay.
/// </summary>
public sealed class CallbackAuthentication(TimeProvider? time = null)
{
    public const string SignatureHeader = "callback-authentication";
    public const string TimestampHeader = "callback-timestamp";
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

    /// <summary>The signature a sender puts into <see cref="SignatureHeader"/>.</summary>
    public static string Sign(string secret, long unixSeconds, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(unixSeconds.ToString(CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return Convert.ToHexStringLower(HMACSHA512.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    /// <summary>Hex characters of an HMAC-SHA512.</summary>
    public const int SignatureChars = 128;

    /// <summary>
    /// What can be checked before the body is read: both headers present, the signature 128 hex characters, the
    /// timestamp within the window. An endpoint calls this first, so a caller without them makes the hub read nothing.
    /// </summary>
    public CallbackVerdict CheckHeaders(string? timestamp, string? signature) => CheckHeaders(timestamp, signature, out _);

    private CallbackVerdict CheckHeaders(string? timestamp, string? signature, out DateTimeOffset sent)
    {
        sent = default;
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature) || signature.Trim() is not { Length: SignatureChars } trimmed
            || !trimmed.All(char.IsAsciiHexDigit) || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            return CallbackVerdict.MissingHeaders;
        try { sent = DateTimeOffset.FromUnixTimeSeconds(seconds); }
        catch (ArgumentOutOfRangeException) { return CallbackVerdict.Expired; }
        return (_time.GetUtcNow() - sent).Duration() > MaxAge ? CallbackVerdict.Expired : CallbackVerdict.Valid;
    }

    public CallbackVerdict Verify(string secret, string? timestamp, string? signature, ReadOnlySpan<byte> body)
    {
        if (CheckHeaders(timestamp, signature, out var sent) is not CallbackVerdict.Valid and var refused) return refused;
        var seconds = sent.ToUnixTimeSeconds();
        var now = _time.GetUtcNow();

        var expected = Encoding.ASCII.GetBytes(Sign(secret, seconds, body));
        var given = Encoding.ASCII.GetBytes(signature!.Trim().ToLowerInvariant());
        if (!CryptographicOperations.FixedTimeEquals(expected, given)) return CallbackVerdict.BadSignature;

        Forget(now);
        return _seen.TryAdd(signature.Trim().ToLowerInvariant(), sent) ? CallbackVerdict.Valid : CallbackVerdict.Replayed;
    }

    // Signatures older than the window cannot be replayed anyway (they are expired): drop them.
    private void Forget(DateTimeOffset now)
    {
        if (_seen.Count < 1024) return;
        foreach (var (key, sent) in _seen)
            if (now - sent > MaxAge + MaxAge) _seen.TryRemove(key, out _);
    }

    /// <summary>The problem detail for a refused callback, never naming the expected value.</summary>
    public static string Describe(CallbackVerdict verdict) => verdict switch
    {
        CallbackVerdict.MissingHeaders => $"The headers {SignatureHeader} (HMAC-SHA512, {SignatureChars} hex characters) and {TimestampHeader} (Unix seconds) are required.",
        CallbackVerdict.Expired => $"{TimestampHeader} is more than {MaxAge.TotalMinutes:0} minutes off the hub's clock.",
        CallbackVerdict.BadSignature => $"{SignatureHeader} does not match the body and timestamp.",
        CallbackVerdict.Replayed => "This callback was received before.",
        _ => "The callback is authentic.",
    };
}
