using System.Net;
using IntegrationHub.Operations;
using IntegrationHub.Operations.Access;
using IntegrationHub.Simulators.EfA;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.EndToEndTests;

/// <summary>The console's pages over HTTP as a browser would use them: sign-in, roles, masking, antiforgery, refusals.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConsolePageTests(ConsoleHubFixture hub)
{
    private ConsoleSession Session() => new(hub.BaseAddress);

    private async Task<ConsoleSession> SignedInAsync(string key)
    {
        var session = Session();
        using var response = await session.LoginAsync(key);
        response.StatusCode.Should().Be(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return session;
    }

    private static string NewGroup(string name) => $"fp-{name}-{Guid.NewGuid():N}"[..24];

    [Theory]
    [InlineData("/ops")]
    [InlineData("/ops/failed")]
    [InlineData("/ops/submissions?q=x")]
    [InlineData("/ops/audit")]
    public async Task Every_page_asks_for_a_sign_in_first(string path)
    {
        using var session = Session();
        using var response = await session.GetAsync(path);
        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.PathAndQuery().Should().StartWith("/ops/login?ReturnUrl=").And.Contain(Uri.EscapeDataString(path.Split('?')[0]));
    }

    [Fact]
    public async Task A_wrong_key_is_refused_with_a_clear_error_and_no_session()
    {
        using var session = Session();
        using var response = await session.LoginAsync("not-a-key");
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var html = await response.Content.ReadAsStringAsync();
        html.Should().Contain("This API key is not known.").And.Contain("<label for=\"apiKey\">API key</label>");
        using var after = await session.GetAsync("/ops");
        after.StatusCode.Should().Be(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task Signing_in_lands_on_the_requested_page_is_audited_and_signing_out_ends_the_session()
    {
        using var session = Session();
        using var login = await session.PostAsync("/ops/login", "/ops/login?ReturnUrl=%2Fops%2Ffailed", [new("apiKey", ConsoleHubFixture.OperatorKey)]);
        login.StatusCode.Should().Be(HttpStatusCode.Redirect);
        login.Headers.Location!.PathAndQuery().Should().Be("/ops/failed");

        var (status, html) = await session.PageAsync("/ops");
        status.Should().Be(HttpStatusCode.OK);
        html.Should().Contain("<h1>Dashboard</h1>").And.Contain("console-operator (operator)").And.Contain("Unresolved failures");
        var audited = await hub.InLedgerAsync(db => db.OperatorAudit.AnyAsync(e => e.Actor == "console-operator" && e.Action == "login"));
        audited.Should().BeTrue();
        (await session.PageAsync("/ops/audit")).Html.Should().Contain("<td>login</td>");

        using var logout = await session.PostAsync("/ops", "/ops/logout", []);
        logout.Headers.Location!.PathAndQuery().Should().Be("/ops/login");
        using var after = await session.GetAsync("/ops");
        after.StatusCode.Should().Be(HttpStatusCode.Redirect);
    }

    [Fact]
    public async Task The_operations_api_takes_no_console_cookie_so_a_same_site_request_cannot_act_for_a_signed_in_operator()
    {
        using var session = await SignedInAsync(ConsoleHubFixture.AdminKey);
        (await session.PageAsync("/ops")).Status.Should().Be(HttpStatusCode.OK, "the console itself keeps its cookie");

        using var me = await session.GetAsync("/api/v1/operations/me");
        using var archive = await session.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/v1/operations/failed-messages/archive")
        {
            Content = new StringContent("{\"filter\":{}}", System.Text.Encoding.UTF8, "application/json"),
        });

        foreach (var response in new[] { me, archive })
        {
            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            (await response.Content.ReadAsStringAsync()).Should().Contain("urn:integrationhub:problem:operator-unauthenticated");
        }
    }

    [Fact]
    public async Task A_session_ends_when_its_key_is_removed_or_the_operators_role_or_municipalities_change()
    {
        var prefix = $"Hub:Operations:Operators:{ConsoleHubFixture.SessionOperatorIndex}:";
        (string Key, string Value)[] configured =
            [(prefix + "Role", "Operator"), (prefix + "Municipalities:0", "*"), (prefix + "KeySha256", OperatorDirectory.HashKey(ConsoleHubFixture.SessionKey))];
        try
        {
            foreach (var change in new[] { (prefix + "KeySha256", OperatorDirectory.HashKey("a-replacement-key")), (prefix + "Role", "Reader"),
                         (prefix + "Municipalities:0", HubFixture.Darmstadt) })
            {
                using var session = await SignedInAsync(ConsoleHubFixture.SessionKey);
                (await session.PageAsync("/ops")).Status.Should().Be(HttpStatusCode.OK);

                hub.Reconfigure(change);
                using var after = await session.GetAsync("/ops");

                after.StatusCode.Should().Be(HttpStatusCode.Redirect, $"changing {change.Item1} ends the session");
                after.Headers.Location!.PathAndQuery().Should().StartWith("/ops/login");
                hub.Reconfigure(configured.Select(c => (c.Key, (string?)c.Value)).ToArray());
            }
        }
        finally
        {
            hub.Reconfigure(configured.Select(c => (c.Key, (string?)c.Value)).ToArray());
        }
    }

    [Fact]
    public async Task A_session_ends_after_its_absolute_lifetime_however_active_it_is()
    {
        using var session = await SignedInAsync(ConsoleHubFixture.SessionKey);
        (await session.PageAsync("/ops")).Status.Should().Be(HttpStatusCode.OK);
        try
        {
            // Lifetimes far from the test's own duration, so a slow machine cannot tip either side.
            hub.Reconfigure(("Hub:Operations:SessionAbsoluteLifetime", "00:10:00"));
            (await session.PageAsync("/ops")).Status.Should().Be(HttpStatusCode.OK, "the session is still young");
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            (await session.PageAsync("/ops")).Status.Should().Be(HttpStatusCode.OK, "an active session renews its sliding lifetime");

            // The same active session, older than the absolute lifetime now allows: it ends.
            hub.Reconfigure(("Hub:Operations:SessionAbsoluteLifetime", "00:00:01"));
            using var after = await session.GetAsync("/ops");
            after.StatusCode.Should().Be(HttpStatusCode.Redirect);
            after.Headers.Location!.PathAndQuery().Should().StartWith("/ops/login");
        }
        finally
        {
            hub.Reconfigure(("Hub:Operations:SessionAbsoluteLifetime", "12:00:00"));
        }
    }

    [Fact]
    public async Task Failed_sign_ins_are_audited_and_an_address_that_keeps_failing_is_refused_even_with_a_right_key()
    {
        try
        {
            // A fresh count for this address (other tests of the collection sign in wrongly too), then three failures allowed.
            hub.Reconfigure(("Hub:Operations:FailedSignInWindow", "00:00:00"));
            using var session = Session();
            (await session.LoginAsync("guess-1")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            hub.Reconfigure(("Hub:Operations:FailedSignInWindow", "00:15:00"), ("Hub:Operations:FailedSignInLimit", "3"));
            (await session.LoginAsync("guess-2")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            (await session.LoginAsync("guess-3")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

            using var refused = await session.LoginAsync(ConsoleHubFixture.OperatorKey);

            refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
            (await refused.Content.ReadAsStringAsync()).Should().Contain("Too many failed sign-ins from this address.");
            using (var after = await session.GetAsync("/ops")) after.StatusCode.Should().Be(HttpStatusCode.Redirect, "no session was made");
            var audit = await hub.InLedgerAsync(db => db.OperatorAudit.AsNoTracking().Where(e => e.Subject == "console" && e.Action.StartsWith("sign-in-"))
                .OrderByDescending(e => e.Id).Take(4).ToListAsync());
            audit.Select(e => e.Action).Should().Equal("sign-in-throttled", "sign-in-failed", "sign-in-failed", "sign-in-failed");
            audit.Should().OnlyContain(e => e.Detail!.StartsWith("from 127.0.0.1") && e.Actor == "(unknown)");
        }
        finally
        {
            hub.Reconfigure(("Hub:Operations:FailedSignInWindow", "00:15:00"), ("Hub:Operations:FailedSignInLimit", "10"));
        }
    }

    [Fact]
    public async Task A_login_does_not_redirect_outside_the_console()
    {
        using var session = Session();
        using var login = await session.PostAsync("/ops/login", "/ops/login?ReturnUrl=%2F%2Fevil.example%2Fops", [new("apiKey", ConsoleHubFixture.ReaderKey)]);
        login.Headers.Location!.PathAndQuery().Should().Be("/ops");
    }

    [Fact]
    public async Task A_reader_sees_the_groups_without_action_buttons_and_social_data_masked()
    {
        var group = NewGroup("reader");
        var id = hub.FailedMessages.SeedGroup(group, 2, HubFixture.Offenbach, "prosoz")[0];

        using var reader = await SignedInAsync(ConsoleHubFixture.ReaderKey);
        var groups = (await reader.PageAsync("/ops/failed")).Html;
        groups.Should().Contain(group).And.NotContain("Retry group").And.NotContain("Archive group");
        var messages = (await reader.PageAsync($"/ops/failed/group?by=Fingerprint&key={group}")).Html;
        messages.Should().Contain($"/ops/failed/{id}").And.NotContain("type=\"checkbox\"").And.NotContain("Retry selected");
        var detail = (await reader.PageAsync($"/ops/failed/{id}")).Html;
        detail.Should().Contain("•••").And.Contain("hidden for your role").And.NotContain("Erika Mustermann").And.NotContain(">Retry<");

        using var admin = await SignedInAsync(ConsoleHubFixture.AdminKey);
        (await admin.PageAsync("/ops/failed")).Html.Should().Contain("Retry group").And.Contain("Archive group");
        var clear = (await admin.PageAsync($"/ops/failed/{id}")).Html;
        clear.Should().Contain("Erika Mustermann").And.Contain(">Retry<").And.NotContain("hidden for your role");
    }

    [Fact]
    public async Task A_reader_posting_an_action_is_denied_and_nothing_changes()
    {
        var group = NewGroup("denied");
        var id = hub.FailedMessages.SeedGroup(group, 1, HubFixture.Offenbach, "prosoz")[0];
        using var reader = await SignedInAsync(ConsoleHubFixture.ReaderKey);

        using var response = await reader.PostAsync("/ops/failed", "/ops/failed/actions", [new("action", "archive"), new("id", id.ToString())]);

        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.PathAndQuery().Should().StartWith("/ops/denied");
        (await StatusOfAsync(id)).Should().Be(FailedMessageStatus.Unresolved);
    }

    [Fact]
    public async Task A_form_without_its_antiforgery_token_is_refused()
    {
        var id = hub.FailedMessages.SeedGroup(NewGroup("csrf"), 1, HubFixture.Offenbach, "prosoz")[0];
        using var operatorSession = await SignedInAsync(ConsoleHubFixture.OperatorKey);

        using var response = await operatorSession.PostAsync("/ops/failed", "/ops/failed/actions", [new("action", "archive"), new("id", id.ToString())], withToken: false);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("The form was not accepted.");
        (await StatusOfAsync(id)).Should().Be(FailedMessageStatus.Unresolved);
    }

    [Fact]
    public async Task An_operator_archives_and_restores_a_selection()
    {
        var group = NewGroup("archive");
        var ids = hub.FailedMessages.SeedGroup(group, 3, HubFixture.Darmstadt, "prosoz");
        using var session = await SignedInAsync(ConsoleHubFixture.OperatorKey);
        var groupPage = $"/ops/failed/group?by=Fingerprint&key={group}";

        using var archive = await session.PostAsync(groupPage, "/ops/failed/actions",
            [new("action", "archive"), new("id", ids[0].ToString()), new("id", ids[1].ToString()), new("back", groupPage)]);
        archive.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var shown = (await session.PageAsync(archive.Headers.Location!.PathAndQuery())).Html;
        shown.Should().Contain("Archived 2 (2 messages).");
        (await StatusOfAsync(ids[0])).Should().Be(FailedMessageStatus.Archived);
        (await StatusOfAsync(ids[2])).Should().Be(FailedMessageStatus.Unresolved);

        using var restore = await session.PostAsync(groupPage, "/ops/failed/actions", [new("action", "restore"), new("id", ids[0].ToString()), new("back", groupPage)]);
        (await session.PageAsync(restore.Headers.Location!.PathAndQuery())).Html.Should().Contain("Restored 1 (message).");
        (await StatusOfAsync(ids[0])).Should().Be(FailedMessageStatus.Unresolved);

        using var none = await session.PostAsync(groupPage, "/ops/failed/actions", [new("action", "archive"), new("back", groupPage)]);
        none.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await none.Content.ReadAsStringAsync()).Should().Contain("No messages were selected.");
    }

    [Fact]
    public async Task An_operator_retries_a_selection_to_another_target_and_the_batch_says_where_it_went()
    {
        var group = NewGroup("redirect");
        var ids = hub.FailedMessages.SeedGroup(group, 2, HubFixture.Darmstadt, "prosoz");
        using var session = await SignedInAsync(ConsoleHubFixture.OperatorKey);
        var groupPage = $"/ops/failed/group?by=Fingerprint&key={group}";
        (await session.PageAsync(groupPage)).Html.Should().Contain("<option value=\"prosoz\">prosoz</option>", "the configured targets are offered");

        using var retry = await session.PostAsync(groupPage, "/ops/failed/actions",
            [new("action", "retry"), new("id", ids[0].ToString()), new("id", ids[1].ToString()), new("redirectTo", "prosoz"), new("back", groupPage)]);

        retry.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var batchPage = (await session.PageAsync(retry.Headers.Location!.PathAndQuery())).Html;
        batchPage.Should().Contain("→ prosoz");
    }

    [Fact]
    public async Task A_refused_operation_shows_the_problems_title_and_detail()
    {
        hub.FailedMessages.SeedGroup(InMemoryFailedMessages.RefusedGroup, 1, HubFixture.Offenbach, "prosoz");
        using var session = await SignedInAsync(ConsoleHubFixture.OperatorKey);

        using var response = await session.PostAsync("/ops/failed", "/ops/failed/actions",
            [new("action", "retry"), new("by", "Fingerprint"), new("key", InMemoryFailedMessages.RefusedGroup)]);

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        var html = await response.Content.ReadAsStringAsync();
        html.Should().Contain(InMemoryFailedMessages.RetryRefused.Title).And.Contain("This group may not be retried now.").And.Contain("role=\"alert\"");
    }

    [Fact]
    public async Task The_submission_search_finds_a_submission_and_shows_its_timeline()
    {
        var outcome = await hub.Sender().SubmitAsync(ApplicationFactory.Sozialhilfe(HubFixture.Darmstadt, "64283", "Darmstadt", seed: 831), HubFixture.DarmstadtSozialhilfe);
        var id = outcome.SubmissionId!.Value;
        await HubFixture.WaitForAsync(() => hub.InLedgerAsync(db => db.Submissions.Where(s => s.Id == id).Select(s => s.Status).SingleAsync()),
            s => s == Ledger.SubmissionStatus.Accepted);
        using var session = await SignedInAsync(ConsoleHubFixture.ReaderKey);

        var found = (await session.PageAsync($"/ops/submissions?q={outcome.CaseId}")).Html;
        found.Should().Contain($"href=\"/ops/submissions/{id}\"");
        var page = (await session.PageAsync($"/ops/submissions/{id}")).Html;
        page.Should().Contain("<h2>Timeline</h2>").And.Contain("<td>accepted</td>").And.Contain(HubFixture.Darmstadt);

        (await session.PageAsync("/ops/submissions?q=no-such-aktenzeichen")).Html.Should().Contain("No submission matches");
        using var darmstadtOnly = await SignedInAsync(ConsoleHubFixture.DarmstadtReaderKey);
        (await darmstadtOnly.PageAsync($"/ops/submissions/{Guid.NewGuid()}")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    private async Task<FailedMessageStatus> StatusOfAsync(Guid id) =>
        (await hub.FailedMessages.GetAsync(ConsoleHubFixture.Admin, id, default))!.Summary.Status;
}

internal static class LocationExtensions
{
    /// <summary>Where a redirect points inside the hub, whether the header is absolute or relative.</summary>
    public static string PathAndQuery(this Uri location) =>
        location.IsAbsoluteUri ? location.PathAndQuery : new Uri(new Uri("http://hub"), location).PathAndQuery;
}
