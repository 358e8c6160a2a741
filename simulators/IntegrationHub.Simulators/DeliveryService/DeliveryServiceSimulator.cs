using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.DeliveryService;

/// <summary>FITKO's FIT-Connect delivery service: sender API, subscriber API and callbacks.</summary>
public sealed class DeliveryServiceSimulator(TimeProvider time, ILogger<DeliveryServiceSimulator> logger)
{
    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;

    /// <summary>Maps the simulator's endpoints.</summary>
    public void Map(IEndpointRouteBuilder app)
    {
        _ = _time;
        _ = _logger;
        _ = app;
    }
}
