using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy.Onboarding.SmokeTests;

namespace IntegrationHub.Host.SmokeTests;

/// <summary>
/// The smoke tests' synthetic sender: the simulators' EfA online service with an application from their factory (Wohngeld
/// or Sozialhilfe, chosen by the service's schema or LeiKa key), addressed to the municipality and plainly a test: the
/// applicant is "Smoke Test". It goes through the hub's own intake like any online service (token, key, encrypt, submit).
/// </summary>
public sealed class EfaSmokeTestSender(IHttpClientFactory http) : ISmokeTestSender
{
    public async Task<SmokeTestSendResult> SendAsync(SmokeTestApplication request, CancellationToken ct)
    {
        if (Build(request) is not { } application)
            return new SmokeTestSendResult(null, $"no synthetic application for schema {request.Service.SchemaUri}");
        var sender = new EfaOnlineService(http.CreateClient(SmokeTestClient.HttpClientName), request.ClientId, request.ClientSecret);
        var outcome = await sender.SubmitAsync(application, request.DestinationId, ct: ct);
        return outcome.Accepted
            ? new SmokeTestSendResult(outcome.SubmissionId, null)
            : new SmokeTestSendResult(outcome.SubmissionId, $"{outcome.FailedStep} answered {Status(outcome)}: {Describe(outcome.Problem)}");
    }

    /// <summary>The application for the service, or null when the factory cannot build one for its schema.</summary>
    public static DemoApplication? Build(SmokeTestApplication request)
    {
        var service = request.Service;
        var seed = RandomNumberGenerator.GetInt32(int.MaxValue);
        // The applicant lives in the municipality (the hub checks the address's ARS); the PLZ only has to be well-formed.
        DemoApplication? application =
            service.SchemaUri == DemoServices.WohngeldSchemaUri || service.SchemaUri.Length == 0 && service.LeikaKey == DemoServices.WohngeldLeikaKey
                ? ApplicationFactory.Wohngeld(request.Ars, "00000", request.MunicipalityName, seed, SmokeTestClient.ClientId, DateTimeOffset.UtcNow, withAttachment: true)
            : service.SchemaUri == DemoServices.SozialhilfeSchemaUri || service.SchemaUri.Length == 0 && service.LeikaKey == DemoServices.SozialhilfeLeikaKey
                ? ApplicationFactory.Sozialhilfe(request.Ars, "00000", request.MunicipalityName, seed, SmokeTestClient.ClientId, DateTimeOffset.UtcNow, withAttachment: true)
            : null;
        if (application is null) return null;
        return application with
        {
            Label = "smoke-test",
            LeikaKey = service.LeikaKey,
            ServiceName = service.Name.Length > 0 ? service.Name : application.ServiceName,
            Xml = MarkAsTest(application.Xml),
            MailboxUuid = request.Mailbox,
        };
    }

    /// <summary>Names the applicant (and account holder) "Smoke Test", so whoever sees the case knows it is no citizen's.</summary>
    private static byte[] MarkAsTest(byte[] xml)
    {
        var document = XDocument.Parse(Encoding.UTF8.GetString(xml), LoadOptions.PreserveWhitespace);
        XNamespace common = ApplicationFactory.CommonNamespace;
        var applicant = document.Root!.Element(common + "antragsteller");
        applicant?.Element(common + "familienname")?.SetValue("Test");
        applicant?.Element(common + "vorname")?.SetValue("Smoke");
        document.Root.Element(common + "bankverbindung")?.Element(common + "kontoinhaber")?.SetValue("Smoke Test");
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Encoding = new UTF8Encoding(false) }))
            document.Save(writer);
        return stream.ToArray();
    }

    private static string Status(SubmissionOutcome outcome) =>
        outcome.SubmitStatus is { } submit ? submit.ToString() : outcome.CreateStatus > 0 ? outcome.CreateStatus.ToString() : "with an error";

    private static string Describe(JsonObject? problem) =>
        problem is null ? "no problem details"
        : string.Join(" ", new[] { problem["type"], problem["title"] ?? problem["error"], problem["detail"] ?? problem["error_description"] }
            .Select(n => n?.ToString()).Where(s => !string.IsNullOrEmpty(s)));
}

public static class SmokeTestSenderRegistration
{
    /// <summary>Smoke tests send their synthetic applications with the simulators' EfA online service.</summary>
    public static IServiceCollection AddEfaSmokeTestSender(this IServiceCollection services) =>
        services.AddSingleton<ISmokeTestSender, EfaSmokeTestSender>();
}
