using MassTransit.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace IntegrationHub.Observability;

/// <summary>
/// Exports the hub's and MassTransit's traces and metrics over OTLP when Hub:Telemetry:OtlpEndpoint
/// is set (OpenTelemetry.Extensions.Hosting does not restore here, so the SDK builders are used directly).
/// </summary>
public static class TelemetrySetup
{
    public static IServiceCollection AddHubTelemetry(this IServiceCollection services)
    {
        services.AddHostedService(sp => TelemetryExport.Create(sp.GetRequiredService<IConfiguration>()));
        return services;
    }

    private sealed class TelemetryExport(TracerProvider? tracing, MeterProvider? metrics) : IHostedService
    {
        public static TelemetryExport Create(IConfiguration configuration)
        {
            var endpoint = configuration["Hub:Telemetry:OtlpEndpoint"];
            if (string.IsNullOrWhiteSpace(endpoint)) return new TelemetryExport(null, null);
            var resource = ResourceBuilder.CreateDefault().AddService(configuration["Hub:Telemetry:ServiceName"] ?? "integrationhub");
            return new TelemetryExport(
                Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource)
                    .AddSource(HubTelemetry.Name, DiagnosticHeaders.DefaultListenerName)
                    .AddOtlpExporter(o => o.Endpoint = new Uri(endpoint)).Build(),
                Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource)
                    .AddMeter(HubTelemetry.Name, "MassTransit")
                    .AddOtlpExporter(o => o.Endpoint = new Uri(endpoint)).Build());
        }

        public Task StartAsync(CancellationToken ct) => Task.CompletedTask;

        public Task StopAsync(CancellationToken ct)
        {
            tracing?.Dispose();
            metrics?.Dispose();
            return Task.CompletedTask;
        }
    }
}
