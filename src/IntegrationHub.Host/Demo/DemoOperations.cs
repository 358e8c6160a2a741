using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Host.Demo;

/// <summary>
/// The operations part of the demo: the Prosoz-like procedure refuses every handover for a while, the failed deliveries
/// land in the failed-message store as one group, and the local operator retries the group once the procedure is back;
/// each application then reaches the procedure exactly once.
/// </summary>
public static class DemoOperations
{
    private static readonly Operator LocalOperator = new("ops-operator", OperatorRole.Operator);

    public static async Task<bool> RunAsync(WebApplication app, SimulatorServer simulators, EfaOnlineService sender)
    {
        var tenant = app.Services.GetRequiredService<TenantDirectory>().Tenants.First();
        var destination = tenant.Destinations.First(d => d.Services.Any(s => s.LeikaKey == DemoServices.SozialhilfeLeikaKey)).Id;
        Console.WriteLine();
        Console.WriteLine("==================== Operations: an outage and its replay ===========");
        Console.WriteLine("The Prosoz-like procedure refuses every handover (400) while two Sozialhilfe applications arrive ...");
        simulators.Prosoz.Faults.SetErrorRate(1.0, 400, seed: 42);
        var submissions = new List<Guid>();
        string fingerprint;
        try
        {
            for (var seed = 9001; seed < 9003; seed++)
            {
                var outcome = await sender.SubmitAsync(ApplicationFactory.Sozialhilfe(tenant.Ars, "63065", "Offenbach am Main", seed), destination);
                if (outcome.SubmissionId is { } id) submissions.Add(id);
            }
            var failed = await WaitForAsync(app, async (store, db) =>
            {
                var page = await store.ListAsync(LocalOperator, new FailedMessageFilter(Target: "prosoz"), 0, 100, default);
                var ours = page.Items.Where(f => f.SubmissionId is { } id && submissions.Contains(id)).ToList();
                // Ready for a retry once the ledger has marked each delivery failed, too.
                var markedFailed = await db.Deliveries.CountAsync(d => submissions.Contains(d.SubmissionId) && d.Target == "prosoz" && d.Status == DeliveryStatus.Failed);
                return ours.Count == submissions.Count && markedFailed == submissions.Count ? ours : null;
            });
            if (failed is null || submissions.Count != 2) return Fail("the failed deliveries did not reach the failed-message store");
            var group = (await WaitForAsync(app, async (store, _) =>
                (await store.GroupsAsync(LocalOperator, FailureGrouping.Fingerprint, new FailedMessageFilter(Group: failed[0].Fingerprint), default)).FirstOrDefault()))!;
            Console.WriteLine($"Failed-message group {group.Key}: {group.Title}, {group.Unresolved} unresolved");
            fingerprint = group.Key;
        }
        finally
        {
            simulators.Prosoz.Faults.Reset();
        }

        Console.WriteLine("The procedure is back; ops-operator retries the group ...");
        RetryBatchView batch;
        await using (var scope = app.Services.CreateAsyncScope())
            batch = await scope.ServiceProvider.GetRequiredService<IFailedMessages>().RetryAsync(LocalOperator,
                new FailedMessageSelection(Filter: new FailedMessageFilter(Group: fingerprint)), null, default);
        var done = await WaitForAsync(app, async (store, _) => await store.GetBatchAsync(LocalOperator, batch.Id, default) is { Status: not RetryBatchStatus.Running } b ? b : null);
        var resolved = await WaitForAsync(app, async (store, _) =>
        {
            var page = await store.ListAsync(LocalOperator, new FailedMessageFilter(Group: fingerprint, Statuses: [FailedMessageStatus.Resolved]), 0, 100, default);
            return page.Items.Count(f => f.SubmissionId is { } id && submissions.Contains(id)) == submissions.Count ? page : null;
        });
        var casesOnce = submissions.All(id => simulators.Prosoz.CaseCountFor(id) == 1);
        Console.WriteLine($"Retry batch {done?.Status.ToString().ToLowerInvariant()}: {done?.Issued} issued, {done?.Skipped} skipped; " +
                          $"{(resolved is null ? "NOT all" : "all")} resolved; each application {(casesOnce ? "is one case" : "is NOT one case")} at the procedure");
        Console.WriteLine("Console: /ops (local keys reader-local-only, operator-local-only, admin-local-only; see README)");
        Console.WriteLine("=====================================================================");
        return done?.Status == RetryBatchStatus.Completed && resolved is not null && casesOnce;
    }

    private static bool Fail(string why)
    {
        Console.WriteLine($"Operations demo: {why}.");
        return false;
    }

    /// <summary>Asks the store (in a fresh scope) until it answers something, for up to 60 s.</summary>
    private static async Task<T?> WaitForAsync<T>(WebApplication app, Func<IFailedMessages, HubDbContext, Task<T?>> ask) where T : class
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            await using (var scope = app.Services.CreateAsyncScope())
            {
                var answer = await ask(scope.ServiceProvider.GetRequiredService<IFailedMessages>(), scope.ServiceProvider.GetRequiredService<HubDbContext>());
                if (answer is not null || DateTime.UtcNow > deadline) return answer;
            }
            await Task.Delay(250);
        }
    }
}
