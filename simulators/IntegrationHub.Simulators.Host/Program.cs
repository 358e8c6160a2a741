using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Mailbox;
using IntegrationHub.Simulators.Marius;
using IntegrationHub.Simulators.Procedures;
using IntegrationHub.Simulators.Prosoz;
using Microsoft.Extensions.Configuration;

// Runs the Prosoz-like and Marius-like procedures as their own process.
//   --urls http://127.0.0.1:5080          listen address(es), ';'-separated
//   --Simulators:Port 5080                 port on 127.0.0.1 when no --urls is given (0 = any free one)
//   --Simulators:Pins:064350014014 hub.pem pins the hub's signing certificate (PEM) for that ARS
//   --Simulators:Mailbox:HubApiKey KEY     the key of the hub's mailbox at the XTA-style mailbox service (random if not given;
//                                          the hub's Hub__Targets__marius__Mailbox__ApiKey)
//   --Simulators:Mailbox:ProcedureCertificateFile marius.pem  writes the Marius-like procedure's signing certificate there
//                                          (the hub's Hub__Targets__marius__Mailbox__ProcedureCertificate)
// The same keys work from appsettings.json or environment variables (Simulators__Port, ...).
var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();

var pins = new SignaturePins();
foreach (var pin in configuration.GetSection("Simulators:Pins").GetChildren())
{
    if (string.IsNullOrWhiteSpace(pin.Value))
    {
        continue;
    }

    var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(pin.Value));
    pins.Pin(pin.Key, certificate);
    Console.WriteLine($"Pinned certificate {certificate.Thumbprint} for ARS {pin.Key}");
}

var urls = configuration["urls"]?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
var port = configuration.GetValue("Simulators:Port", 0);

await using var server = await SimulatorServer.StartAsync(new SimulatorServerOptions
{
    Urls = urls is { Length: > 0 } ? urls : null,
    Port = port,
    Pins = pins,
    MailboxHubKey = configuration["Simulators:Mailbox:HubApiKey"],
});

if (configuration["Simulators:Mailbox:ProcedureCertificateFile"] is { Length: > 0 } certificateFile)
{
    File.WriteAllText(certificateFile, server.Marius.SigningCertificate.ExportCertificatePem());
    Console.WriteLine($"Wrote the Marius-like procedure's signing certificate to {certificateFile}");
}

// The BundID identity provider signs the citizens' identification reports; the hub trusts the key published here.
if (configuration["Simulators:Postbox:IdentityProviderKeyFile"] is { Length: > 0 } identityProviderFile)
{
    File.WriteAllText(identityProviderFile, server.Postbox.IdentityProvider.PublicKeyPem);
    Console.WriteLine($"Wrote the BundID identity provider's public key to {identityProviderFile}");
}

// The Prosoz-like procedure reports status and Bescheid to the hub's callback endpoint, authenticated with the shared secret.
if (configuration["Simulators:Prosoz:CallbackUrl"] is { Length: > 0 } callbackUrl)
{
    var secret = configuration["Simulators:Prosoz:CallbackSecret"]
        ?? throw new InvalidOperationException("Simulators:Prosoz:CallbackSecret is required with a CallbackUrl.");
    server.Prosoz.Reports.ConfigureCallbacks(new HttpClient(), new Uri(callbackUrl), secret);
}

// Both procedures decide every case they get (PROCESSING, then COMPLETED with a Bescheid) when told to.
server.Prosoz.Reports.AutoDecide = configuration.GetValue("Simulators:AutoDecide", false);
server.Marius.AutoDecide = configuration.GetValue("Simulators:AutoDecide", false);
if (configuration["Simulators:Dms:ApiKey"] is { Length: > 0 } dmsKey) server.Dms.ApiKey = dmsKey;

foreach (var address in server.Addresses)
{
    Console.WriteLine($"Simulators listening on {address}");
}

Console.WriteLine($"  Prosoz: POST/GET {ProsozSimulator.Path}, POST /{ProsozSimulator.SimulatorName}/_faults, GET /{ProsozSimulator.SimulatorName}/_calls");
Console.WriteLine($"  Marius: POST/GET {MariusSimulator.Path}, POST /{MariusSimulator.SimulatorName}/_faults, GET /{MariusSimulator.SimulatorName}/_calls");
Console.WriteLine($"  XTA mailbox service: {XtaMailboxSimulator.Prefix}/messages/{{id}} (send), {XtaMailboxSimulator.Prefix}/mailboxes/{{id}}/messages (list, get, close)");
Console.WriteLine("  DMS: /dms/r/{repositoryId} (d.3-like), /dms/xdomea/nachrichten; BundID postbox: /postbox/api/v1; FIT-Connect delivery service: /fitconnect/");
Console.WriteLine("  Faults at run time: GET /_faults, POST/DELETE /_faults/{prosoz|marius|dms|postbox|fitconnect}");
Console.WriteLine("Press Ctrl+C to stop.");

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.TrySetResult();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.TrySetResult();
});

await stop.Task;
Console.WriteLine("Stopping simulators.");
