using System.Security.Cryptography;
using System.Text;
using IntegrationHub.Storage.AzureBlob;

namespace IntegrationHub.InfrastructureTests.Storage;

/// <summary>The Shared Key string-to-sign and signature; pure, no server.</summary>
public sealed class SharedKeyAuthorizationTests
{
    private static readonly byte[] DevelopmentKey = Convert.FromBase64String(Azurite.DevelopmentKey);

    [Fact]
    public void String_to_sign_matches_the_documented_example_for_a_path_style_address()
    {
        // "Authorize with Shared Key", example for version 2009-09-19 and later: Get Container Metadata with timeout=20.
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:10000/myaccount/mycontainer?restype=container&comp=metadata&timeout=20");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Sun, 11 Oct 2009 21:49:13 GMT");
        request.Headers.TryAddWithoutValidation("x-ms-version", "2009-09-19");

        var stringToSign = SharedKeyAuthorization.BuildStringToSign(request, "myaccount");

        stringToSign.Should().Be(
            "GET\n\n\n\n\n\n\n\n\n\n\n\n" +
            "x-ms-date:Sun, 11 Oct 2009 21:49:13 GMT\nx-ms-version:2009-09-19\n" +
            "/myaccount/myaccount/mycontainer\ncomp:metadata\nrestype:container\ntimeout:20");
        // Pinned once with `openssl dgst -sha256 -mac HMAC` over the same string and the Azurite development key.
        SharedKeyAuthorization.Sign(stringToSign, DevelopmentKey).Should().Be("Su5rvibNeMxB7A4I87rOtEgCDtdICsL8v5H+yJs0W+M=");
    }

    [Fact]
    public void Put_Block_on_a_host_style_address_signs_length_md5_escaped_path_and_decoded_block_id()
    {
        var body = Encoding.ASCII.GetBytes("hello");
        using var request = new HttpRequestMessage(HttpMethod.Put,
            "https://devstoreaccount1.blob.core.windows.net/integrationhub/ordner%20a/Pr%C3%BCfung.txt?comp=block&blockid=YWJj%2B%2F8%3D")
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentMD5 = MD5.HashData(body);
        request.Headers.TryAddWithoutValidation("x-ms-version", "2021-08-06");

        SharedKeyAuthorization.Authorize(request, "devstoreaccount1", DevelopmentKey, new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero));

        SharedKeyAuthorization.BuildStringToSign(request, "devstoreaccount1").Should().Be(
            "PUT\n\n\n5\nXUFAKrxLKna5cZ2REBfFkg==\n\n\n\n\n\n\n\n" +
            "x-ms-date:Mon, 02 Mar 2026 10:00:00 GMT\nx-ms-version:2021-08-06\n" +
            "/devstoreaccount1/integrationhub/ordner%20a/Pr%C3%BCfung.txt\nblockid:YWJj+/8=\ncomp:block");
        // Pinned once with openssl over the string above.
        request.Headers.Authorization!.Scheme.Should().Be("SharedKey");
        request.Headers.Authorization.Parameter.Should().Be("devstoreaccount1:ESg8Fm9q3WIulN/CWU7FR1iQ4vzb27QViEg6KUvOlhE=");
    }

    [Fact]
    public void A_zero_content_length_is_signed_as_empty_and_x_ms_headers_are_lowercased_and_sorted()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "http://127.0.0.1:10000/devstoreaccount1/c/b")
        {
            Content = new ByteArrayContent([]),
        };
        request.Headers.TryAddWithoutValidation("X-MS-Version", "2021-08-06");
        request.Headers.TryAddWithoutValidation("x-ms-blob-type", "BlockBlob");
        request.Headers.TryAddWithoutValidation("x-ms-date", "Mon, 02 Mar 2026 10:00:00 GMT");

        SharedKeyAuthorization.BuildStringToSign(request, "devstoreaccount1").Should().Be(
            "PUT\n\n\n\n\n\n\n\n\n\n\n\n" +
            "x-ms-blob-type:BlockBlob\nx-ms-date:Mon, 02 Mar 2026 10:00:00 GMT\nx-ms-version:2021-08-06\n" +
            "/devstoreaccount1/devstoreaccount1/c/b");
    }
}
