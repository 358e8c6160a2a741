using Microsoft.Playwright;

namespace IntegrationHub.EndToEndTests;

/// <summary>
/// The operations console in a real browser: Debian's Chromium driven by Playwright against the hub on a real
/// 127.0.0.1 port. An operator signs in, sees the failed group a target outage left, retries it and watches it resolve.
/// Chromium is never downloaded; without /usr/bin/chromium the test fails and says how to install it.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsoleBrowserTests(ConsoleHubFixture hub) : IAsyncLifetime
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
    /// The failed group a target outage leaves behind; returns its key (the fingerprint) and how many messages it holds.
    /// Here the in-memory store is seeded with the deliveries a Prosoz outage would have failed.
    /// </summary>
    private Task<(string Group, int Count)> FailedGroupAfterTargetOutageAsync()
    {
        var group = $"outage-{Guid.NewGuid():N}"[..20];
        var count = hub.FailedMessages.SeedGroup(group, 4, HubFixture.Darmstadt, "prosoz").Count;
        return Task.FromResult((group, count));
    }

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

        // The group is gone from the open failures and all its messages are resolved.
        await page.GetByRole(AriaRole.Link, new() { Name = "Back to the failed messages" }).ClickAsync();
        (await page.Locator($"tr[data-group='{group}']").CountAsync()).Should().Be(0);
        await page.GotoAsync($"/ops/failed?status=Resolved");
        (await page.Locator($"tr[data-group='{group}'] td.count").InnerTextAsync()).Should().Be(count.ToString());
        await page.GotoAsync($"/ops/failed/group?by=Fingerprint&key={group}&status=all");
        (await page.Locator("#messages td.status-Resolved").CountAsync()).Should().Be(count);
    }
}
