using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using IntegrationHub.Tenancy.Onboarding.SmokeTests;
using IntegrationHub.Tenancy.Onboarding.Workflow;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Host.Demo;

/// <summary>
/// The onboarding part of the demo: Stadt Dreieich goes live from its municipality file while the hub runs (plan, apply),
/// is smoke-tested, and its first application reaches the procedure.
/// </summary>
public static class DemoOnboarding
{
    public const string File = "064380003003-dreieich.yaml";
    private static readonly Operator Admin = new("ops-admin", OperatorRole.Admin);
    private static readonly Operator LocalOperator = new("ops-operator", OperatorRole.Operator);

    public static async Task<bool> RunAsync(WebApplication app, SimulatorServer simulators, EfaOnlineService sender)
    {
        Console.WriteLine();
        Console.WriteLine("==================== Onboarding: a municipality from its file =======");
        var input = new MunicipalityFileInput(File, await System.IO.File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "tenants", File)));
        ApplyView applied;
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var registry = scope.ServiceProvider.GetRequiredService<MunicipalityRegistry>();
            var plan = await registry.PlanAsync(Admin, input, default);
            Console.WriteLine($"hubctl tenant plan tenants/{File}: {plan.Summary}");
            foreach (var change in plan.Changes.Take(4)) Console.WriteLine($"  {change}");
            if (plan.Changes.Count > 4) Console.WriteLine($"  … {plan.Changes.Count - 4} more");
            applied = await registry.ApplyAsync(Admin, input, dryRun: false, default);
        }
        Console.WriteLine($"hubctl tenant apply: {applied.Name} ({applied.Ars}) {applied.Outcome}, version {applied.Version}, " +
                          $"{applied.Keys.Count} keys generated; live without a restart");
        // The procedures pin the municipality's new signing certificate, as receivers do when a municipality is onboarded.
        simulators.Pins.Pin(applied.Ars, app.Services.GetRequiredService<KeyStore>().SigningCertificate(applied.Ars));

        var runner = app.Services.GetRequiredService<SmokeTestRunner>();
        var run = await runner.StartAsync(LocalOperator, applied.Ars, default);
        await runner.WhenFinished(run.Id);
        SmokeTestView? report;
        await using (var scope = app.Services.CreateAsyncScope())
            report = await runner.GetAsync(scope.ServiceProvider.GetRequiredService<HubDbContext>(), applied.Ars, run.Id, default);
        Console.WriteLine($"hubctl tenant smoke-test {applied.Ars}: {report?.Outcome}");
        foreach (var service in report?.Services ?? [])
            Console.WriteLine($"  {service.Name}: " + string.Join(", ", service.Steps.Select(s => $"{(s.Passed ? "✔" : "✘")} {s.Name}")));

        var tenant = app.Services.GetRequiredService<TenantDirectory>().FindTenant(applied.Ars)!;
        var destination = tenant.Destinations.First(d => d.Services.Any(s => s.LeikaKey == DemoServices.WohngeldLeikaKey)).Id;
        var outcome = await sender.SubmitAsync(ApplicationFactory.Wohngeld(applied.Ars, "63303", "Dreieich", seed: 9101), destination);
        var handedOver = outcome.SubmissionId is { } id && await HandedOverAsync(app, id);
        Console.WriteLine($"Its first application (Wohngeld): {(handedOver ? "accepted and handed over to marius" : "NOT handed over")}");
        Console.WriteLine("=====================================================================");
        // A data folder kept from an earlier demo run already has this version: unchanged.
        return applied.Outcome is ApplyView.Applied or ApplyView.Unchanged && report?.Outcome == SmokeTestOutcomes.Passed && handedOver;
    }

    private static async Task<bool> HandedOverAsync(WebApplication app, Guid submissionId)
    {
        for (var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(250))
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            if (await db.Deliveries.AnyAsync(d => d.SubmissionId == submissionId && d.Step == DeliverySteps.Handover
                                                  && (d.Status == DeliveryStatus.Delivered || d.Status == DeliveryStatus.AwaitingAcknowledgement)))
                return true;
        }
        return false;
    }
}
