using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Intake;
using IntegrationHub.Simulators.Crypto;

namespace IntegrationHub.UnitTests.Intake;

/// <summary>A 2048-bit recipient key: the inspector never decrypts, it only needs realistic JWEs.</summary>
public sealed class InspectorKey : IDisposable
{
    public RSA Rsa { get; } = RSA.Create(2048);

    public void Dispose() => Rsa.Dispose();
}

/// <summary>The streaming check of an upload: five base64url parts, the tag kept, the size limit enforced.</summary>
public sealed class JweCompactInspectorTests(InspectorKey key) : IClassFixture<InspectorKey>
{
    private const long Limit = 1024 * 1024;

    private string ValidJwe(int plaintextBytes = 3000) =>
        JweEncryptor.Encrypt(RandomNumberGenerator.GetBytes(plaintextBytes), key.Rsa, "dest-enc-1");

    private static (JweCompactInspector Inspector, byte[] Copied) CopyThrough(string body, long maxBytes = Limit)
    {
        var inspector = new JweCompactInspector(new MemoryStream(Encoding.ASCII.GetBytes(body)), maxBytes);
        using var target = new MemoryStream();
        inspector.CopyTo(target);
        return (inspector, target.ToArray());
    }

    [Fact]
    public async Task Well_formed_JWE_streamed_through_reports_its_tag_and_arrives_unchanged()
    {
        var jwe = ValidJwe();
        var inspector = new JweCompactInspector(new MemoryStream(Encoding.ASCII.GetBytes(jwe)), Limit);
        using var target = new MemoryStream();

        await inspector.CopyToAsync(target);

        inspector.IsWellFormed.Should().BeTrue();
        inspector.TooLarge.Should().BeFalse();
        inspector.AuthenticationTag.Should().Be(JweEncryptor.Split(jwe)[4]).And.HaveLength(22);
        Encoding.ASCII.GetString(target.ToArray()).Should().Be(jwe);
        inspector.Position.Should().Be(jwe.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Chunk_boundaries_do_not_matter(int chunk)
    {
        var jwe = ValidJwe();
        var inspector = new JweCompactInspector(new MemoryStream(Encoding.ASCII.GetBytes(jwe)), Limit);
        var buffer = new byte[chunk];

        while (inspector.Read(buffer, 0, chunk) > 0)
        {
        }

        inspector.IsWellFormed.Should().BeTrue();
        inspector.AuthenticationTag.Should().Be(JweEncryptor.Split(jwe)[4]);
    }

    [Fact]
    public void Compressed_JWE_without_kid_is_well_formed()
    {
        var jwe = JweEncryptor.Encrypt(new byte[10_000], key.Rsa, kid: null, compress: true);

        CopyThrough(jwe).Inspector.IsWellFormed.Should().BeTrue();
    }

    [Fact]
    public void Four_parts_are_not_well_formed()
    {
        var parts = JweEncryptor.Split(ValidJwe());

        CopyThrough(JweEncryptor.Join(parts[..4])).Inspector.IsWellFormed.Should().BeFalse();
    }

    [Fact]
    public void Six_parts_are_not_well_formed()
    {
        var parts = JweEncryptor.Split(ValidJwe());

        CopyThrough(JweEncryptor.Join([.. parts, parts[4]])).Inspector.IsWellFormed.Should().BeFalse();
    }

    [Fact]
    public void Empty_tag_is_not_well_formed()
    {
        var parts = JweEncryptor.Split(ValidJwe());
        parts[4] = string.Empty;

        CopyThrough(JweEncryptor.Join(parts)).Inspector.IsWellFormed.Should().BeFalse();
    }

    [Fact]
    public void Tag_longer_than_64_characters_is_not_well_formed()
    {
        var parts = JweEncryptor.Split(ValidJwe());
        parts[4] = new string('A', 65);

        var (inspector, _) = CopyThrough(JweEncryptor.Join(parts));

        inspector.IsWellFormed.Should().BeFalse();
        inspector.AuthenticationTag.Length.Should().BeLessThanOrEqualTo(64);
    }

    [Theory]
    [InlineData('+')]
    [InlineData('/')]
    [InlineData('=')]
    [InlineData(' ')]
    [InlineData('\n')]
    [InlineData('"')]
    public void Character_outside_base64url_is_not_well_formed(char bad)
    {
        var jwe = ValidJwe();
        var at = jwe.IndexOf('.', StringComparison.Ordinal) + 5; // inside the encrypted key

        CopyThrough(jwe[..at] + bad + jwe[(at + 1)..]).Inspector.IsWellFormed.Should().BeFalse();
    }

    [Fact]
    public void Trailing_newline_is_not_well_formed()
    {
        CopyThrough(ValidJwe() + "\n").Inspector.IsWellFormed.Should().BeFalse();
    }

    [Fact]
    public void Non_ASCII_byte_is_not_well_formed()
    {
        var bytes = Encoding.ASCII.GetBytes(ValidJwe());
        bytes[10] = 0xC3;
        var inspector = new JweCompactInspector(new MemoryStream(bytes), Limit);

        inspector.CopyTo(Stream.Null);

        inspector.IsWellFormed.Should().BeFalse();
    }

    [Fact]
    public void Empty_body_is_not_well_formed()
    {
        var (inspector, copied) = CopyThrough(string.Empty);

        inspector.IsWellFormed.Should().BeFalse();
        copied.Should().BeEmpty();
    }

    [Fact]
    public async Task Body_over_the_limit_throws_PayloadTooLargeException()
    {
        var jwe = ValidJwe(20_000);
        var inspector = new JweCompactInspector(new MemoryStream(Encoding.ASCII.GetBytes(jwe)), jwe.Length - 1);

        await FluentActions.Awaiting(() => inspector.CopyToAsync(Stream.Null)).Should().ThrowAsync<PayloadTooLargeException>()
            .WithMessage("The payload exceeds the configured limit.");
        inspector.TooLarge.Should().BeTrue();
    }

    [Fact]
    public void Body_exactly_at_the_limit_passes()
    {
        var jwe = ValidJwe();

        var (inspector, _) = CopyThrough(jwe, maxBytes: jwe.Length);

        inspector.IsWellFormed.Should().BeTrue();
        inspector.TooLarge.Should().BeFalse();
    }

    [Fact]
    public void Inspector_is_a_read_only_forward_stream()
    {
        var inspector = new JweCompactInspector(new MemoryStream(), Limit);

        inspector.CanRead.Should().BeTrue();
        inspector.CanSeek.Should().BeFalse();
        inspector.CanWrite.Should().BeFalse();
        FluentActions.Invoking(() => inspector.Length).Should().Throw<NotSupportedException>();
        FluentActions.Invoking(() => inspector.Write([1], 0, 1)).Should().Throw<NotSupportedException>();
    }
}
