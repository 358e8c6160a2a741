using System.Net;
using IntegrationHub.Simulators.DeliveryService;
using IntegrationHub.Simulators.Dms;
using IntegrationHub.Simulators.Evidence;
using IntegrationHub.Simulators.Mailbox;
using IntegrationHub.Simulators.Marius;
using IntegrationHub.Simulators.Postbox;
using IntegrationHub.Simulators.Procedures;
using IntegrationHub.Simulators.Prosoz;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators;

/// <summary>Settings of a <see cref="SimulatorServer"/>.</summary>
public sealed record SimulatorServerOptions
{
    /// <summary>Port on 127.0.0.1; 0 (default) picks a free one. Ignored when <see cref="Urls"/> is set.</summary>
    public int Port { get; init; }

    /// <summary>Explicit listen URLs (e.g. from --urls), instead of 127.0.0.1:<see cref="Port"/>.</summary>
    public IReadOnlyList<string>? Urls { get; init; }

    /// <summary>Clock for case timestamps and Aktenzeichen years; system clock by default.</summary>
    public TimeProvider? Time { get; init; }

    /// <summary>Lowest log level written to the console (warnings by default).</summary>
    public LogLevel MinimumLogLevel { get; init; } = LogLevel.Warning;

    /// <summary>Pins to share (e.g. filled from configuration before start); a new set by default.</summary>
    public SignaturePins? Pins { get; init; }

    /// <summary>The key of the hub's mailbox at the mailbox service (from configuration); a fresh random one by default.</summary>
    public string? MailboxHubKey { get; init; }
}

/// <summary>
/// Hosts the Prosoz-like and Marius-like procedures on Kestrel (in-process for tests, or in the
/// simulator host process).
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;

    private SimulatorServer(WebApplication app, Uri baseAddress, IReadOnlyList<Uri> addresses, ProsozSimulator prosoz, MariusSimulator marius, SignaturePins pins)
    {
        _app = app;
        BaseAddress = baseAddress;
        Addresses = addresses;
        Prosoz = prosoz;
        Marius = marius;
        Pins = pins;
        Mailbox = app.Services.GetRequiredService<XtaMailboxSimulator>();
        Dms = app.Services.GetRequiredService<DmsSimulator>();
        Postbox = app.Services.GetRequiredService<PostboxSimulator>();
        DeliveryService = app.Services.GetRequiredService<DeliveryServiceSimulator>();
        Evidence = app.Services.GetRequiredService<EvidenceProviderSimulator>();
    }

    /// <summary>The first address the server listens on, ending with a slash.</summary>
    public Uri BaseAddress { get; }

    /// <summary>All addresses the server listens on.</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    public ProsozSimulator Prosoz { get; }

    public MariusSimulator Marius { get; }

    public SignaturePins Pins { get; }

    /// <summary>The XTA-style mailbox service the Marius-like procedure and the hub exchange messages through.</summary>
    public XtaMailboxSimulator Mailbox { get; }

    /// <summary>The d.3-like DMS / E-Akte.</summary>
    public DmsSimulator Dms { get; }

    /// <summary>The BundID postbox.</summary>
    public PostboxSimulator Postbox { get; }

    /// <summary>The FIT-Connect delivery service.</summary>
    public DeliveryServiceSimulator DeliveryService { get; }

    /// <summary>The evidence providers (Melderegister, Ausländerbehörde, Sozialamt, Rentenregister) for once-only lookups.</summary>
    public EvidenceProviderSimulator Evidence { get; }

    public static async Task<SimulatorServer> StartAsync(SimulatorServerOptions? options = null, CancellationToken ct = default)
    {
        options ??= new SimulatorServerOptions();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SimulatorServer).Assembly.GetName().Name,
            Args = [],
        });

        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = FachverfahrenSimulator.MaxHandoverBytes + 1024L * 1024;
        });
        var urls = options.Urls is { Count: > 0 } ? options.Urls : [$"http://127.0.0.1:{options.Port}"];
        builder.WebHost.UseUrls([.. urls]);

        var time = options.Time ?? TimeProvider.System;
        var pins = options.Pins ?? new SignaturePins();
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(pins);
        builder.Services.AddSingleton<XtaMailboxSimulator>();
        builder.Services.AddSingleton<DmsSimulator>();
        builder.Services.AddSingleton<PostboxSimulator>();
        builder.Services.AddSingleton<DeliveryServiceSimulator>();
        builder.Services.AddSingleton<EvidenceProviderSimulator>();
        var app = builder.Build();

        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var prosoz = new ProsozSimulator(pins, time, loggers.CreateLogger<ProsozSimulator>());
        var marius = new MariusSimulator(pins, time, loggers.CreateLogger<MariusSimulator>());
        marius.UseMailbox(app.Services.GetRequiredService<XtaMailboxSimulator>(), options.MailboxHubKey);

        app.MapGet("/health", () => Results.Text("ok"));
        app.MapProcedure(prosoz);
        app.MapProcedure(marius);
        var evidence = app.Services.GetRequiredService<EvidenceProviderSimulator>();
        app.MapFaultCommands(new Dictionary<string, FaultInjection>(evidence.FaultTargets)
        {
            [prosoz.Name] = prosoz.Faults,
            [marius.Name] = marius.Faults,
            ["dms"] = app.Services.GetRequiredService<DmsSimulator>().Faults,
            ["postbox"] = app.Services.GetRequiredService<PostboxSimulator>().Faults,
            ["fitconnect"] = app.Services.GetRequiredService<DeliveryServiceSimulator>().Faults,
        });
        app.Services.GetRequiredService<XtaMailboxSimulator>().Map(app);
        app.Services.GetRequiredService<DmsSimulator>().Map(app);
        app.Services.GetRequiredService<PostboxSimulator>().Map(app);
        app.Services.GetRequiredService<DeliveryServiceSimulator>().Map(app);
        evidence.Map(app);

        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
            ?? throw new InvalidOperationException("Kestrel reported no addresses.");
        var addresses = bound.Select(a => new Uri(NormalizeAddress(a))).ToArray();
        if (addresses.Length == 0)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException("Kestrel reported no addresses.");
        }

        marius.StartPulling(MariusSimulator.DefaultPullInterval);
        return new SimulatorServer(app, addresses[0], addresses, prosoz, marius, pins);
    }

    /// <summary>Client for the server's base address (the caller disposes it).</summary>
    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress };

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            await Marius.StopPullingAsync().ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string NormalizeAddress(string address)
    {
        // Wildcard bindings ("http://[::]:5080", "http://+:5080") are not dialable; use loopback instead.
        var uri = new Uri(address.Replace("://+:", "://localhost:", StringComparison.Ordinal)
            .Replace("://*:", "://localhost:", StringComparison.Ordinal));
        var host = uri.Host;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
        {
            host = "127.0.0.1";
        }

        return new UriBuilder(uri) { Host = host, Path = "/" }.Uri.ToString();
    }
}
