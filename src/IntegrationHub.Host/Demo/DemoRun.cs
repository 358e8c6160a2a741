using System.Security.Cryptography;
using IntegrationHub.CaseStatus;
using IntegrationHub.Delivery;
using IntegrationHub.Intake;
using IntegrationHub.Ledger;
using IntegrationHub.Simulators;
using IntegrationHub.Simulators.Dms;
using IntegrationHub.Simulators.EfA;
using IntegrationHub.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace IntegrationHub.Host.Demo;

/// <summary>
/// The demo batch: an EfA online service submits Wohngeld and Sozialhilfe applications to every
/// configured municipality, some invalid on purpose; the procedures decide every case they get, and the
/// summary shows what the hub made of them and the status trail each citizen saw.
/// </summary>
public static class DemoRun
{
    private sealed record Sent(string Municipality, DemoApplication Application, SubmissionOutcome Outcome);

    // Postcodes for the applicants' addresses of the demo municipalities.
    private static readonly Dictionary<string, (string Plz, string Ort)> Places = new()
    {
        ["064130000000"] = ("63065", "Offenbach am Main"),
        ["064110000000"] = ("64283", "Darmstadt"),
    };

    public static async Task<bool> RunAsync(WebApplication app, SimulatorServer simulators)
    {
        var tenants = app.Services.GetRequiredService<TenantDirectory>();
        var keys = app.Services.GetRequiredService<KeyStore>();
        foreach (var tenant in tenants.Tenants)
            simulators.Pins.Pin(tenant.Ars, keys.SigningCertificate(tenant.Ars));

        // The demo's online service gets a fresh secret each run: no secret lives in code or config.
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var destinations = tenants.Tenants.SelectMany(t => t.Destinations).ToList();
        app.Services.GetRequiredService<SenderClients>().Register("efa-demo", secret, destinations.Select(d => d.Id));

        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        // The procedures decide every case they get and report back: PROCESSING, then COMPLETED with a Bescheid.
        simulators.Prosoz.Reports.ConfigureCallbacks(http, new Uri(http.BaseAddress, "api/v1/procedures/prosoz/reports"),
            app.Configuration["Hub:Targets:prosoz:CallbackSecret"]!);
        simulators.Prosoz.Reports.AutoDecide = true;
        var sender = new EfaOnlineService(http, "efa-demo", secret);
        var sent = new List<Sent>();
        var seed = 1;
        Console.WriteLine($"Demo: submitting applications to {tenants.Tenants.Count} municipalities ...");
        foreach (var tenant in tenants.Tenants)
        {
            var (plz, ort) = Places.GetValueOrDefault(tenant.Ars, ("10115", "Berlin"));
            var wohngeld = DestinationFor(tenant, DemoServices.WohngeldLeikaKey);
            var sozialhilfe = DestinationFor(tenant, DemoServices.SozialhilfeLeikaKey);
            async Task Send(DemoApplication application, Guid destination, SubmitOptions? options = null) =>
                sent.Add(new Sent(tenant.Name, application, await sender.SubmitAsync(application, destination, options)));
            // A citizen logged in to BundID at this level (1 Basisregistrierung, 3 ELSTER, 4 eID), with a postbox.
            DemoApplication Citizen(DemoApplication application, int level) =>
                application with { MailboxUuid = simulators.Postbox.OpenMailbox(), TrustLevel = level };

            await Send(Citizen(ApplicationFactory.Wohngeld(tenant.Ars, plz, ort, seed++), 4), wohngeld);
            await Send(Citizen(ApplicationFactory.Wohngeld(tenant.Ars, plz, ort, seed++, withAttachment: true), 3), wohngeld, new SubmitOptions { Compress = true });
            await Send(Citizen(ApplicationFactory.Sozialhilfe(tenant.Ars, plz, ort, seed++), 1), sozialhilfe);
            await Send(ApplicationFactory.Sozialhilfe(tenant.Ars, plz, ort, seed++, withAttachment: true), sozialhilfe, new SubmitOptions { UseThumbprintAsKid = true });
            await Send(ApplicationFactory.WohngeldSchemaInvalid(tenant.Ars, plz, ort, seed++), wohngeld);
            await Send(ApplicationFactory.SozialhilfeWrongMunicipality(tenant.Ars, plz, ort, seed++), sozialhilfe);
            await Send(ApplicationFactory.Wohngeld(tenant.Ars, plz, ort, seed++) with { Label = "wohngeld-hash-mismatch", ExpectedValid = false },
                wohngeld, new SubmitOptions { TamperDataHash = true });
        }

        var ids = sent.Where(s => s.Outcome.SubmissionId is not null && s.Outcome.SubmitStatus == 202).Select(s => s.Outcome.SubmissionId!.Value).ToList();
        var (submissions, deliveries) = await WaitUntilSettledAsync(app.Services, ids, TimeSpan.FromSeconds(90));
        var timelines = new List<CaseTimeline>();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            foreach (var s in submissions.Where(s => s.Status == SubmissionStatus.Accepted))
                timelines.Add((await CaseTimeline.LoadAsync(db, s.Id))!);
        }
        var ok = PrintSummary(sent, submissions, deliveries, timelines);
        PrintCitizensAndFiles(sent, deliveries, simulators);
        var operations = await DemoOperations.RunAsync(app, simulators, sender);
        var onboarding = await DemoOnboarding.RunAsync(app, simulators, sender);
        return operations && onboarding && ok;
    }

    private static Guid DestinationFor(TenantOptions tenant, string leikaKey) =>
        tenant.Destinations.First(d => d.Services.Any(s => s.LeikaKey == leikaKey)).Id;

    private static async Task<(List<Submission>, List<TargetDelivery>)> WaitUntilSettledAsync(IServiceProvider services, List<Guid> ids, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
            var submissions = await db.Submissions.AsNoTracking().Where(s => ids.Contains(s.Id)).ToListAsync();
            var deliveries = await db.Deliveries.AsNoTracking().Where(d => ids.Contains(d.SubmissionId)).ToListAsync();
            // Settled: rejected, or decided (the Bescheid is out) with every call made.
            var settled = submissions.All(s => s.Status == SubmissionStatus.Rejected
                || s.Status == SubmissionStatus.Accepted && s.CitizenStatus == CitizenStatus.Completed
                   && deliveries.Where(d => d.SubmissionId == s.Id).All(d => d.IsFinal));
            if (settled || DateTime.UtcNow > deadline) return (submissions, deliveries);
            await Task.Delay(250);
        }
    }

    /// <summary>What landed in the citizens' postboxes and in the DMS, as the simulators recorded it.</summary>
    private static void PrintCitizensAndFiles(List<Sent> sent, List<TargetDelivery> deliveries, SimulatorServer simulators)
    {
        Console.WriteLine("Citizens' BundID postboxes (messages at trust level, status trail):");
        foreach (var s in sent.Where(s => s.Application.MailboxUuid is not null && s.Outcome.SubmissionId is not null && s.Application.ExpectedValid))
        {
            var inbox = simulators.Postbox.Inbox(s.Application.MailboxUuid!.Value);
            var trail = inbox.StatusTrail(s.Outcome.SubmissionId!.Value.ToString()).Select(x => x.Status);
            Console.WriteLine($"  {s.Application.Label,-36} {string.Join(", ", inbox.Messages.Select(m => $"{m.Title.Split(':')[0]} ({m.StorkQaaLevel})"))}");
            Console.WriteLine($"  {"",-36} {string.Join(" -> ", trail)}");
        }
        Console.WriteLine("DMS / E-Akte (Aktenplan key / Aktenzeichen: documents):");
        foreach (var aktenzeichen in deliveries.Where(d => d.Step == DeliverySteps.Handover && d.Aktenzeichen is not null).Select(d => d.Aktenzeichen!).Distinct())
        foreach (var filed in simulators.Dms.FiledUnder(aktenzeichen))
            Console.WriteLine($"  {filed.Akte.Property(DmsSchema.AktenplanKey),-9} / {aktenzeichen,-24}: " +
                string.Join(", ", filed.Dokumente.Select(d => d.Property(DmsSchema.DocumentType))));
        Console.WriteLine("=====================================================================");
    }

    private static bool PrintSummary(List<Sent> sent, List<Submission> submissions, List<TargetDelivery> deliveries, List<CaseTimeline> timelines)
    {
        var accepted = submissions.Count(s => s.Status == SubmissionStatus.Accepted);
        var rejected = submissions.Where(s => s.Status == SubmissionStatus.Rejected).ToList();
        Console.WriteLine();
        Console.WriteLine("==================== IntegrationHub demo summary ====================");
        Console.WriteLine($"Sent by the online service:  {sent.Count}");
        Console.WriteLine($"Refused at the API:          {sent.Count(s => s.Outcome.SubmitStatus != 202)}");
        Console.WriteLine($"Received (submitted):        {submissions.Count}");
        Console.WriteLine($"Accepted:                    {accepted}");
        Console.WriteLine($"Rejected:                    {rejected.Count}");
        foreach (var group in rejected.GroupBy(s => s.ProblemType))
        {
            Console.WriteLine($"  {group.Count()} x {group.Key}");
            Console.WriteLine($"      e.g. {group.First().ProblemDetail}");
        }
        Console.WriteLine("Calls per target (delivered / not):");
        foreach (var group in deliveries.GroupBy(d => d.Target).OrderBy(g => g.Key))
        {
            Console.WriteLine($"  {group.Key}: {group.Count(d => d.Status == DeliveryStatus.Delivered)} delivered, {group.Count(d => d.Status != DeliveryStatus.Delivered)} not");
            foreach (var d in group.Where(d => d.Status == DeliveryStatus.Delivered && d.Step == DeliverySteps.Handover).OrderBy(d => d.DeliveredAt))
                Console.WriteLine($"    submission {d.SubmissionId:N} -> Aktenzeichen {d.Aktenzeichen}");
        }
        Console.WriteLine("What the citizen saw (status trail per accepted submission):");
        foreach (var t in timelines)
            Console.WriteLine($"  {t.SubmissionId:N}: {string.Join(" -> ", t.CitizenTrail)}");
        Console.WriteLine("Per application (expected / outcome):");
        foreach (var s in sent)
        {
            var ledger = submissions.FirstOrDefault(x => x.Id == s.Outcome.SubmissionId);
            var outcome = ledger is null ? $"refused at the API ({s.Outcome.FailedStep})"
                : ledger.Status == SubmissionStatus.Rejected ? $"rejected: {ledger.ProblemType}" : ledger.Status.ToString().ToLowerInvariant();
            Console.WriteLine($"  {s.Municipality,-30} {s.Application.Label,-36} expected {(s.Application.ExpectedValid ? "accepted" : "rejected"),-8} -> {outcome}");
        }
        Console.WriteLine("=====================================================================");

        // The demo is right when every valid application is delivered and every invalid one rejected.
        var ok = sent.All(s =>
        {
            var ledger = submissions.FirstOrDefault(x => x.Id == s.Outcome.SubmissionId);
            return s.Application.ExpectedValid
                ? ledger is { Status: SubmissionStatus.Accepted, CitizenStatus: CitizenStatus.Completed }
                  && deliveries.Where(d => d.SubmissionId == ledger.Id).All(d => d.Status == DeliveryStatus.Delivered)
                : ledger is null || ledger.Status == SubmissionStatus.Rejected;
        });
        Console.WriteLine(ok ? "Demo result: every application ended as expected." : "Demo result: SOME APPLICATIONS DID NOT END AS EXPECTED.");
        return ok;
    }
}
