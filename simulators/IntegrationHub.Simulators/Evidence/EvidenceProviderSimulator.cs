using System.Text.Json.Nodes;
using IntegrationHub.Simulators.Procedures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Evidence;

/// <summary>
/// The evidence providers the hub looks evidence up from (once-only), each a register behind
/// <c>POST /evidence/{provider}/anfragen</c> (body <c>application/xml</c> <c>nachweis.anfrage.0001</c>, see
/// <see cref="EvidenceProvider"/>): the <see cref="Melderegister"/> (MELDEDATEN), the <see cref="Auslaenderbehoerde"/>
/// (AUFENTHALTSTITEL), the <see cref="Sozialamt"/> (LEISTUNGSBEZUG) and the <see cref="Rentenregister"/> (EINKOMMEN).
/// Each has its own faults, reachable as <c>/_faults/evidence-{provider}</c>.
/// </summary>
public sealed class EvidenceProviderSimulator
{
    public const string PathTemplate = "/evidence/{provider}/anfragen";

    public EvidenceProviderSimulator(TimeProvider time, ILogger<EvidenceProviderSimulator> logger)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        Melderegister = new Melderegister(time, logger);
        Auslaenderbehoerde = new Auslaenderbehoerde(time, logger);
        Sozialamt = new Sozialamt(time, logger);
        Rentenregister = new Rentenregister(time, logger);
        Providers = [Melderegister, Auslaenderbehoerde, Sozialamt, Rentenregister];
    }

    public Melderegister Melderegister { get; }

    public Auslaenderbehoerde Auslaenderbehoerde { get; }

    public Sozialamt Sozialamt { get; }

    public Rentenregister Rentenregister { get; }

    public IReadOnlyList<EvidenceProvider> Providers { get; }

    /// <summary>The providers' faults by their fault-command name (<c>evidence-melderegister</c>, ...).</summary>
    public IReadOnlyDictionary<string, FaultInjection> FaultTargets => Providers.ToDictionary(p => p.FaultName, p => p.Faults);

    /// <summary>A provider by its path name, or null.</summary>
    public EvidenceProvider? Find(string? name) =>
        Providers.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Resets every provider (default register content, no calls, no faults).</summary>
    public void Reset()
    {
        foreach (var provider in Providers) provider.Reset();
    }

    public void Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(PathTemplate, HandleAsync);
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (Find(context.Request.RouteValues["provider"]?.ToString()) is not { } provider)
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = HandoverResponse.ProblemJson;
            await context.Response.WriteAsync(new JsonObject
            {
                ["type"] = HandoverResponse.ProblemType("evidence", "provider-unknown"),
                ["title"] = "No such evidence provider",
                ["status"] = 404,
                ["detail"] = "Known providers: " + string.Join(", ", Providers.Select(p => p.Name)) + ".",
            }.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // Run-time faults (outage, error rate, hang, slow bodies; see /_faults/evidence-{provider}) answer before anything else.
        if (await provider.Faults.ApplyAsync(context, provider.FaultName).ConfigureAwait(false)) return;

        var answer = await provider.ReceiveAsync(
            context.Request.ContentType, context.Request.ContentLength, context.Request.Body, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = answer.StatusCode;
        context.Response.ContentType = answer.ContentType;
        await context.Response.Body.WriteAsync(answer.Body, context.RequestAborted).ConfigureAwait(false);
    }
}
