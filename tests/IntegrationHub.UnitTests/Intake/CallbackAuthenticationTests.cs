using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Intake.Callbacks;

namespace IntegrationHub.UnitTests.Intake;

/// <summary>FIT-Connect callback authentication: HMAC-SHA512 over "{timestamp}.{body}", 5-minute window, no replays.</summary>
public sealed class CallbackAuthenticationTests
{
    private const string Secret = "callback-secret-for-tests";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"type":"https://schema.fitko.de/fit-connect/callbacks/new-submissions","submissionIds":[]}""");
    private readonly FixedClock _clock = new(DateTimeOffset.Parse("2026-11-22T10:00:00Z", CultureInfo.InvariantCulture));

    [Fact]
    public void Signature_is_the_hex_HMAC_SHA512_of_timestamp_dot_body()
    {
        var expected = Convert.ToHexStringLower(HMACSHA512.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes("1700000000.").Concat(Body).ToArray()));

        CallbackAuthentication.Sign(Secret, 1700000000, Body).Should().Be(expected).And.HaveLength(128);
    }

    [Fact]
    public void A_fresh_correctly_signed_callback_is_valid_once_and_then_a_replay()
    {
        var auth = new CallbackAuthentication(_clock);
        var (timestamp, signature) = Signed(_clock.GetUtcNow());

        auth.Verify(Secret, timestamp, signature, Body).Should().Be(CallbackVerdict.Valid);
        auth.Verify(Secret, timestamp, signature, Body).Should().Be(CallbackVerdict.Replayed);
        auth.Verify(Secret, timestamp, signature.ToUpperInvariant(), Body).Should().Be(CallbackVerdict.Replayed, "hex case does not make a new callback");
    }

    [Theory]
    [InlineData(-301, CallbackVerdict.Expired)]
    [InlineData(-299, CallbackVerdict.Valid)]
    [InlineData(299, CallbackVerdict.Valid)]
    [InlineData(301, CallbackVerdict.Expired)]
    public void Timestamps_more_than_five_minutes_off_are_refused(int offsetSeconds, CallbackVerdict verdict)
    {
        var (timestamp, signature) = Signed(_clock.GetUtcNow().AddSeconds(offsetSeconds));

        new CallbackAuthentication(_clock).Verify(Secret, timestamp, signature, Body).Should().Be(verdict);
    }

    [Fact]
    public void Wrong_secret_changed_body_or_changed_timestamp_do_not_verify()
    {
        var auth = new CallbackAuthentication(_clock);
        var (timestamp, signature) = Signed(_clock.GetUtcNow());

        auth.Verify("another-secret", timestamp, signature, Body).Should().Be(CallbackVerdict.BadSignature);
        auth.Verify(Secret, timestamp, signature, [.. Body, (byte)' ']).Should().Be(CallbackVerdict.BadSignature);
        auth.Verify(Secret, (long.Parse(timestamp, CultureInfo.InvariantCulture) - 1).ToString(CultureInfo.InvariantCulture), signature, Body)
            .Should().Be(CallbackVerdict.BadSignature);
        auth.Verify(Secret, timestamp, signature[..^1] + (signature[^1] == '0' ? "1" : "0"), Body).Should().Be(CallbackVerdict.BadSignature);
    }

    [Fact]
    public void The_headers_are_checked_before_the_body_exists()
    {
        var auth = new CallbackAuthentication(_clock);
        var (timestamp, signature) = Signed(_clock.GetUtcNow());

        auth.CheckHeaders(timestamp, signature).Should().Be(CallbackVerdict.Valid);
        auth.CheckHeaders(timestamp, signature[..^2]).Should().Be(CallbackVerdict.MissingHeaders, "an HMAC-SHA512 has 128 hex characters");
        auth.CheckHeaders(timestamp, new string('g', 128)).Should().Be(CallbackVerdict.MissingHeaders);
        auth.CheckHeaders(null, signature).Should().Be(CallbackVerdict.MissingHeaders);
        var (old, oldSignature) = Signed(_clock.GetUtcNow().AddMinutes(-6));
        auth.CheckHeaders(old, oldSignature).Should().Be(CallbackVerdict.Expired);
    }

    [Theory]
    [InlineData(null, "abc")]
    [InlineData("1700000000", null)]
    [InlineData("", "abc")]
    [InlineData("not-a-number", "abc")]
    [InlineData("-5", "abc")]
    public void Missing_or_malformed_headers_are_refused(string? timestamp, string? signature) =>
        new CallbackAuthentication(_clock).Verify(Secret, timestamp, signature, Body).Should().Be(CallbackVerdict.MissingHeaders);

    [Fact]
    public void Refusals_never_reveal_the_expected_signature()
    {
        foreach (var verdict in Enum.GetValues<CallbackVerdict>())
            CallbackAuthentication.Describe(verdict).Should().NotContain(CallbackAuthentication.Sign(Secret, 1700000000, Body)[..16]);
    }

    private static (string Timestamp, string Signature) Signed(DateTimeOffset at)
    {
        var seconds = at.ToUnixTimeSeconds();
        return (seconds.ToString(CultureInfo.InvariantCulture), CallbackAuthentication.Sign(Secret, seconds, Body));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
