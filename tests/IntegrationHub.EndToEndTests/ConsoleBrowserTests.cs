using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The operations console in a real browser: Debian's Chromium driven by Playwright against the hub on a real
/// 127.0.0.1 port. An operator signs in, sees the failed group a target outage left, retries it and watches it resolve.
/// Chromium is never downloaded; without /usr/bin/chromium the test fails and says how to install it.
/// </summary>
public sealed class ConsoleBrowserTests(ConsoleOutageHubFixture hub) : IClassFixture<ConsoleOutageHubFixture>, IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"The browser test needs Debian's Chromium at {Chromium}: install it with `apt-get install -y chromium` (test.sh does so).");
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }

    /// <summary>
    /// The failed group a target outage leaves behind: the Prosoz-like procedure refuses every handover (a permanent
    /// 400) while four Sozialhilfe applications arrive; each delivery ends in the error queue and the hub's store groups
    /// them. Then the procedure is back. Returns the group's key (the fingerprint) and how many messages it holds.
    /// </summary>
    private async Task<(string Group, int Count)> FailedGroupAfterTargetOutageAsync()
    {
        var faults = hub.Simulators.Prosoz.Faults;
        faults.SetErrorRate(1.0, 400, seed: 7);
        var submissions = new List<Guid>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                submissions.Add(await hub.SubmitSozialhilfeAsync(seed: 901 + i));
            }
            using var scope = hub.Factory.Services.CreateScope();
            var store = scope.ServiceProvider.GetRequiredService<IFailedMessages>();
            var who = new Operator("test", OperatorRole.Admin);
            var failed = await HubFixture.WaitForAsync(
                async () => (await store.ListAsync(who, new FailedMessageFilter(Target: "prosoz"), 0, 100, default)).Items
                    .Where(f => f.SubmissionId is { } id && submissions.Contains(id)).ToList(),
                items => items.Count == submissions.Count);
            // The ledger has marked each delivery failed before an operator can act on it.
            await HubFixture.WaitForAsync(() => hub.InLedgerAsync(db => db.Deliveries.CountAsync(d =>
                submissions.Contains(d.SubmissionId) && d.Target == "prosoz" && d.Status == DeliveryStatus.Failed)), n => n == submissions.Count);
            failed.Select(f => f.Fingerprint).Distinct().Should().ContainSingle("one fault at one place is one group");
            _submissions = submissions;
            return (failed[0].Fingerprint, failed.Count);
        }
        finally
        {
            faults.Reset(); // the outage is over
        }
    }

    private List<Guid> _submissions = [];

    [Fact]
    public async Task An_operator_signs_in_sees_the_failed_group_retries_it_and_watches_it_resolve()
    {
        var (group, count) = await FailedGroupAfterTargetOutageAsync();
        var page = await _browser!.NewPageAsync(new BrowserNewPageOptions { BaseURL = hub.BaseAddress.ToString() });
        page.SetDefaultTimeout(30_000);

        // Any console page sends an unknown visitor to the sign-in form first.
        await page.GotoAsync("/ops/failed");
        page.Url.Should().Contain("/ops/login");
        await page.GetByLabel("API key").FillAsync("wrong-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        (await page.GetByRole(AriaRole.Alert).InnerTextAsync()).Should().Contain("This API key is not known.");
        await page.GetByLabel("API key").FillAsync(ConsoleHubFixture.OperatorKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/ops/failed");

        // The group with its count and the operator's buttons.
        var row = page.Locator($"tr[data-group='{group}']");
        (await row.Locator("td.count").InnerTextAsync()).Should().Be(count.ToString());
        (await row.Locator("td.unresolved").InnerTextAsync()).Should().Be(count.ToString());

        await row.GetByRole(AriaRole.Button, new() { Name = "Retry group" }).ClickAsync();

        // The batch page refreshes itself until the batch is done.
        await page.WaitForURLAsync("**/ops/batches/*");
        await page.Locator("#batch-status", new() { HasTextString = "Completed" }).WaitForAsync(new() { Timeout = 30_000 });
        (await page.Locator(".progress-text").InnerTextAsync()).Should().Be($"{count} of {count} done ({count} issued, 0 skipped)");
        (await page.Locator("#pending").InnerTextAsync()).Should().Be("0");

        // Issued is not yet done: the operator reloads the failed messages until the group has left the open failures
        // (the hub resolves a retried message once its delivery has succeeded).
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to the failed messages" }).ClickAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (await page.Locator($"tr[data-group='{group}']").CountAsync() > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            await page.ReloadAsync();
        }
        (await page.Locator($"tr[data-group='{group}']").CountAsync()).Should().Be(0);
        await page.GotoAsync($"/ops/failed?status=Resolved");
        (await page.Locator($"tr[data-group='{group}'] td.count").InnerTextAsync()).Should().Be(count.ToString());
        await page.GotoAsync($"/ops/failed/group?by=Fingerprint&key={group}&status=all");
        (await page.Locator("#messages td.status-Resolved").CountAsync()).Should().Be(count);

        // Every application reached the procedure exactly once: the replay carried the same idempotency key.
        foreach (var id in _submissions)
        {
            var (_, deliveries) = await hub.WaitUntilSettledAsync(id);
            deliveries.Should().Contain(d => d.Target == "prosoz" && d.Status == DeliveryStatus.Delivered);
            hub.Simulators.Prosoz.CaseCountFor(id).Should().Be(1);
        }
    }
}
