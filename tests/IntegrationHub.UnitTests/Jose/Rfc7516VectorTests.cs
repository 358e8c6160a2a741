using System.Text;
using IntegrationHub.Jose;

namespace IntegrationHub.UnitTests.Jose;

/// <summary>RFC 7516 Appendix A.1: RSAES-OAEP (SHA-1) + AES-256-GCM, decrypted with the RFC's key.</summary>
public sealed class Rfc7516VectorTests
{
    internal const string Compact =
        "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ." +
        "OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe" +
        "ipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDb" +
        "Sv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaV" +
        "mqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je8" +
        "1860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi" +
        "6UklfCpIMfIjf7iGdXKHzg." +
        "48V1_ALb6US04U3b." +
        "5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji" +
        "SdiwkIr3ajwQzaBtQD_A." +
        "XFBoMYUZodetZdvTiFvSkQ";

    internal const string PrivateJwk = """
        {"kty":"RSA",
         "n":"oahUIoWw0K0usKNuOR6H4wkf4oBUXHTxRvgb48E-BVvxkeDNjbC4he8rUWcJoZmds2h7M70imEVhRU5djINXtqllXI4DFqcI1DgjT9LewND8MW2Krf3Spsk_ZkoFnilakGygTwpZ3uesH-PFABNIUYpOiN15dsQRkgr0vEhxN92i2asbOenSZeyaxziK72UwxrrKoExv6kc5twXTq4h-QChLOln0_mtUZwfsRaMStPs6mS6XrgxnxbWhojf663tuEQueGC-FCMfra36C9knDFGzKsNa7LZK2djYgyD3JR_MB_4NUJW_TqOQtwHYbxevoJArm-L5StowjzGy-_bq6Gw",
         "e":"AQAB",
         "d":"kLdtIj6GbDks_ApCSTYQtelcNttlKiOyPzMrXHeI-yk1F7-kpDxY4-WY5NWV5KntaEeXS1j82E375xxhWMHXyvjYecPT9fpwR_M9gV8n9Hrh2anTpTD93Dt62ypW3yDsJzBnTnrYu1iwWRgBKrEYY46qAZIrA2xAwnm2X7uGR1hghkqDp0Vqj3kbSCz1XyfCs6_LehBwtxHIyh8Ripy40p24moOAbgxVw3rxT_vlt3UVe4WO3JkJOzlpUf-KTVI2Ptgm-dARxTEtE-id-4OJr0h-K-VFs3VSndVTIznSxfyrj8ILL6MG_Uv8YAu7VILSB3lOW085-4qE3DzgrTjgyQ",
         "p":"1r52Xk46c-LsfB5P442p7atdPUrxQSy4mti_tZI3Mgf2EuFVbUoDBvaRQ-SWxkbkmoEzL7JXroSBjSrK3YIQgYdMgyAEPTPjXv_hI2_1eTSPVZfzL0lffNn03IXqWF5MDFuoUYE0hzb2vhrlN_rKrbfDIwUbTrjjgieRbwC6Cl0",
         "q":"wLb35x7hmQWZsWJmB_vle87ihgZ19S8lBEROLIsZG4ayZVe9Hi9gDVCOBmUDdaDYVTSNx_8Fyw1YYa9XGrGnDew00J28cRUoeBB_jKI1oma0Orv1T9aXIWxKwd4gvxFImOWr3QRL9KEBRzk2RatUBnmDZJTIAfwTs0g68UZHvtc",
         "dp":"ZK-YwE7diUh0qR1tR7w8WHtolDx3MZ_OTowiFvgfeQ3SiresXjm9gZ5KLhMXvo-uz-KUJWDxS5pFQ_M0evdo1dKiRTjVw_x4NyqyXPM5nULPkcpU827rnpZzAJKpdhWAgqrXGKAECQH0Xt4taznjnd_zVpAmZZq60WPMBMfKcuE",
         "dq":"Dq0gfgJ1DdFGXiLvQEZnuKEN0UUmsJBxkjydc3j4ZYdBiMRAy86x0vHCjywcMlYYg4yoC4YZa9hNVcsjqA3FeiL19rk8g6Qn29Tt0cj8qqyFpz9vNDBUfCAiJVeESOjJDZPYHdHY8v1b-o-Z2X5tvLx-TCekf7oxyeKDUqKWjis",
         "qi":"VIMpMYbPf47dT1w_zDUXfPimsSegnMOA1zTaX7aGk_8urY6R8-ZW1FxU7AlWAyLWybqq6t16VFd7hQd0y6flUK4SlOydB61gwanOsXGOAOv82cHq0E3eL4HrtZkUuKvnPrMnsUUFlfUdybVzxyjz9JF_XyaY14ardLSjf4L_FNY"}
        """;

    private static readonly JweDecryptionOptions AllowRsaOaepSha1 = new()
    {
        AllowedKeyAlgorithms = new HashSet<string> { "RSA-OAEP-256", "RSA-OAEP" },
    };

    [Fact]
    public void Decrypts_the_RFC_7516_A1_example_when_RSA_OAEP_is_explicitly_allowed()
    {
        using var key = TestRsa.FromPrivateJwk(PrivateJwk);

        var result = JweDecryptor.Decrypt(Compact, key, AllowRsaOaepSha1);

        Encoding.UTF8.GetString(result.Plaintext).Should().Be("The true sign of intelligence is not knowledge but imagination.");
        result.Header.Alg.Should().Be("RSA-OAEP");
        result.Header.Enc.Should().Be("A256GCM");
        result.Header.Kid.Should().BeNull();
        result.Header.Zip.Should().BeNull();
        result.AuthenticationTag.Should().Be("XFBoMYUZodetZdvTiFvSkQ");
    }

    [Fact]
    public void Refuses_the_RFC_7516_A1_example_with_default_options_because_RSA_OAEP_uses_SHA1()
    {
        using var key = TestRsa.FromPrivateJwk(PrivateJwk);

        var act = () => JweDecryptor.Decrypt(Compact, key);

        act.Should().Throw<JweException>().Which.Failure.Should().Be(JweFailure.UnsupportedAlgorithm);
    }

    [Fact]
    public void ReadHeader_returns_the_protected_header_without_decrypting()
    {
        var header = Jwe.ReadHeader(Compact);

        header.Alg.Should().Be("RSA-OAEP");
        header.Enc.Should().Be("A256GCM");
        header.All.Keys.Should().BeEquivalentTo("alg", "enc");
    }
}
