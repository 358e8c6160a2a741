using IntegrationHub.Hosting;
using IntegrationHub.Host.Demo;
using IntegrationHub.Host.SmokeTests;
using IntegrationHub.OnceOnly.Protocol;
using IntegrationHub.Observability;

// The host only composes: configuration, logging, the hub's capabilities and, with --demo,
// the in-process simulators and a demo batch.
// "healthcheck [url]" asks a running hub whether it is ready (for container health checks; the runtime image has no curl).
if (args.FirstOrDefault() == "healthcheck")
{
    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
    try { return (await http.GetAsync(args.ElementAtOrDefault(1) ?? "http://127.0.0.1:8080/health/ready")).IsSuccessStatusCode ? 0 : 1; }
    catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return 1; }
}

// "migrate" applies the ledger's schema scripts and exits (for deployments with Hub:Ledger:MigrateOnStart=false).
var migrateOnly = args.FirstOrDefault() == "migrate";
// "protocol verify" checks the access protocol's hash chain in the configured ledger: exit 0 intact, 1 broken, 2 unreadable.
var verifyProtocol = args is ["protocol", "verify", ..];
var demo = args.Contains("--demo");
var exitAfterDemo = args.Contains("--exit");
var builder = WebApplication.CreateBuilder((verifyProtocol ? args[2..] : args).Where(a => a is not ("--demo" or "--exit" or "migrate")).ToArray());

builder.AddHubLogging();

await using var simulators = demo ? await DemoSetup.StartSimulatorsAsync(builder.Configuration) : null;

builder.Services.AddIntegrationHub(builder.Configuration);
builder.Services.AddEfaSmokeTestSender(); // smoke tests of municipalities send with the simulators' online service
var app = builder.Build();
if (migrateOnly)
{
    await app.Services.MigrateLedgerAsync();
    Console.WriteLine("The ledger schema is up to date.");
    return 0;
}
if (verifyProtocol) return await app.Services.VerifyAccessProtocolAsync(Console.Out);
app.UseHubRequestLogging();
app.MapIntegrationHub();
await app.InitializeIntegrationHubAsync();

if (simulators is null)
{
    await app.RunAsync();
    return Environment.ExitCode; // 75 asks the supervisor for a restart (see BusRecovery)
}

await app.StartAsync();
var succeeded = await DemoRun.RunAsync(app, simulators);
if (exitAfterDemo)
{
    await app.StopAsync();
    return succeeded ? 0 : 1;
}
Console.WriteLine("The hub keeps serving (Ctrl+C to stop):");
foreach (var url in app.Urls) Console.WriteLine($"  FIT-Connect API   {url}/v1/destinations/{{destinationId}}");
foreach (var url in app.Urls) Console.WriteLine($"  OpenAPI document  {url}/openapi/v1.json");
foreach (var url in app.Urls) Console.WriteLine($"  Health            {url}/health/ready");
foreach (var url in app.Urls) Console.WriteLine($"  Operations        {url}/ops  (sign in with operator-local-only; see README \"Operations console\")");
Console.WriteLine($"  Simulators        {simulators.BaseAddress}prosoz/api/v1/faelle  {simulators.BaseAddress}marius/api/v1/antraege");
await app.WaitForShutdownAsync();
return 0;

public partial class Program;
