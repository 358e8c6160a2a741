using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using IntegrationHub.Ledger;
using IntegrationHub.Operations;
using IntegrationHub.Problems;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Validation;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Hubctl = IntegrationHub.Cli.Hubctl;

namespace IntegrationHub.EndToEndTests;

/// <summary>The hub with edit and retry switched on and a Prosoz-like target that fails at once (no retries).</summary>
public sealed class OperationsFlowHubFixture : HubFixture
{
    protected override IEnumerable<KeyValuePair<string, string>> Settings(SimulatorServer simulators) => new Dictionary<string, string>
    {
        ["Hub:Operations:EditAndRetry:Enabled"] = "true",
        ["Hub:Targets:prosoz:Timeout"] = "00:00:05",
        ["Hub:Targets:prosoz:Resilience:MaxRetries"] = "0",
    };
}

/// <summary>
/// The operations console's parts together on the running hub, with the real failed-message store: an edit approved
/// by a second admin reaches the procedure, and hubctl replays a group after an outage. (The embedded default's local
/// operators from appsettings.json sign in: ops-operator, ops-admin, ops-approver.)
/// </summary>
public sealed class OperationsFlowTests(OperationsFlowHubFixture hub) : IClassFixture<OperationsFlowHubFixture>, IAsyncLifetime
{
    private static readonly Operator Admin = new("ops-admin", OperatorRole.Admin);
    private static readonly Operator Approver = new("ops-approver", OperatorRole.Admin);

    public Task InitializeAsync()
    {
        hub.Simulators.Prosoz.Faults.Reset();
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        hub.Simulators.Prosoz.Faults.Reset();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task An_application_corrected_by_one_admin_and_approved_by_another_reaches_the_procedure_once_and_the_original_stays()
    {
        hub.Simulators.Prosoz.Faults.FailNext(1, 400);
        var submissionId = await hub.SubmitSozialhilfeAsync(951);
        var failed = await FailedDeliveryAsync(submissionId);
        hub.Simulators.Prosoz.CaseCountFor(submissionId).Should().Be(0);

        var original = await InScopeAsync<SubmissionReader, byte[]>(async reader =>
            (await reader.ReadDataAsync(await hub.InLedgerAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == submissionId)), default)).Data);
        var corrected = WithFirst(original, "familienname", "Korrigiert-Mustermann");
        var edit = await InScopeAsync<IMessageEdits, MessageEditView>(e =>
            e.ProposeAsync(Admin, failed.Id, corrected, null, "Familienname laut Personalausweis", default));
        edit.Status.Should().Be(MessageEditStatus.Proposed);

        // Proposed only: nothing is sent again.
        await Task.Delay(1500);
        (await DeliveryStatusAsync(submissionId)).Should().Be(DeliveryStatus.Failed);
        var byProposer = () => InScopeAsync<IMessageEdits, MessageEditView>(e => e.ApproveAsync(Admin, edit.Id, default));
        (await byProposer.Should().ThrowAsync<OperationRefusedException>()).Which.Type.Should().Be(ProblemTypes.EditApprovalByProposer);

        // A second admin approves: the corrected application is retried and reaches the procedure, once.
        (await InScopeAsync<IMessageEdits, MessageEditView>(e => e.ApproveAsync(Approver, edit.Id, default))).Status.Should().Be(MessageEditStatus.Approved);
        (await HubFixture.WaitForAsync(() => DeliveryStatusAsync(submissionId), s => s == DeliveryStatus.Delivered)).Should().Be(DeliveryStatus.Delivered);
        var received = hub.Simulators.Prosoz.Cases.Should().ContainSingle(c => c.SubmissionId == submissionId).Subject;
        received.Antrag.Should().Contain("Korrigiert-Mustermann");
        await HubFixture.WaitForAsync(() => InScopeAsync<IFailedMessages, FailedMessageDetail?>(s => s.GetAsync(Admin, failed.Id, default)),
            d => d!.Summary.Status == FailedMessageStatus.Resolved);

        // The sender's original stays as received, beside the edit.
        var stillOriginal = await InScopeAsync<SubmissionReader, byte[]>(async reader =>
            (await reader.ReadDataAsync(await hub.InLedgerAsync(db => db.Submissions.AsNoTracking().SingleAsync(s => s.Id == submissionId)), default)).Data);
        stillOriginal.Should().Equal(original);
        var audit = await InScopeAsync<IOperatorAudit, Page<OperatorAuditView>>(a => a.ListAsync(Admin, null, null, null, null, 0, 100, default));
        audit.Items.Select(a => (a.Actor, a.Action)).Should().Contain([("ops-admin", "edit-proposed"), ("ops-approver", "edit-approved")]);
    }

    [Fact]
    public async Task Hubctl_replays_a_failed_group_after_an_outage_with_progress_until_every_application_is_delivered()
    {
        hub.Simulators.Prosoz.Faults.SetErrorRate(1.0, 400, seed: 3);
        var submissions = new List<Guid>();
        for (var i = 0; i < 3; i++) submissions.Add(await hub.SubmitSozialhilfeAsync(961 + i));
        var failed = new List<FailedMessageSummary>();
        foreach (var id in submissions) failed.Add(await FailedDeliveryAsync(id));
        var group = failed.Select(f => f.Fingerprint).Distinct().Should().ContainSingle().Subject;
        hub.Simulators.Prosoz.Faults.Reset();

        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        var hubctl = new Hubctl(console, error, hub.Factory.CreateClient(), TimeSpan.FromMilliseconds(200));
        var exit = await hubctl.RunAsync(["replay", "--group", group, "--json", "--api-key", "operator-local-only"]);

        exit.Should().Be(0, error.ToString());
        using var batch = JsonDocument.Parse(output.ToString());
        batch.RootElement.GetProperty("status").GetString().Should().Be("completed");
        batch.RootElement.GetProperty("issued").GetInt32().Should().BeGreaterThanOrEqualTo(3);
        foreach (var id in submissions)
        {
            (await HubFixture.WaitForAsync(() => DeliveryStatusAsync(id), s => s == DeliveryStatus.Delivered)).Should().Be(DeliveryStatus.Delivered);
            hub.Simulators.Prosoz.CaseCountFor(id).Should().Be(1);
        }

        // A reader's key may look but not replay: hubctl exits 1 with the problem's title.
        var refused = new Hubctl(console, error, hub.Factory.CreateClient());
        (await refused.RunAsync(["failed", "retry", failed[0].Id.ToString(), "--api-key", "reader-local-only"])).Should().Be(1);
        error.ToString().Should().Contain(ProblemTypes.OperatorForbidden.Title);
    }

    private async Task<T> InScopeAsync<TService, T>(Func<TService, Task<T>> action) where TService : notnull
    {
        await using var scope = hub.Factory.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<TService>());
    }

    private Task<DeliveryStatus> DeliveryStatusAsync(Guid submissionId) =>
        hub.InLedgerAsync(db => db.Deliveries.Where(d => d.SubmissionId == submissionId && d.Target == "prosoz").Select(d => d.Status).SingleAsync());


    /// <summary>Waits until the submission's Prosoz delivery is in the failed-message store and the ledger marks it failed.</summary>
    private async Task<FailedMessageSummary> FailedDeliveryAsync(Guid submissionId)
    {
        var found = await HubFixture.WaitForAsync(
            () => InScopeAsync<IFailedMessages, Page<FailedMessageSummary>>(s => s.ListAsync(Admin, new FailedMessageFilter(SubmissionId: submissionId), 0, 10, default)),
            page => page.Items.Count == 1);
        await HubFixture.WaitForAsync(() => DeliveryStatusAsync(submissionId), status => status == DeliveryStatus.Failed);
        return found.Items.Should().ContainSingle().Subject;
    }

    private static string WithFirst(byte[] xml, string localName, string value)
    {
        var document = XDocument.Load(new MemoryStream(xml));
        document.Descendants().First(e => e.Name.LocalName == localName).Value = value;
        return document.ToString();
    }
}
