using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Dms;

/// <summary>A d.3-like DMS / E-Akte (HAL+JSON REST) that also takes xdomea Geschäftsgang messages.</summary>
public sealed class DmsSimulator(TimeProvider time, ILogger<DmsSimulator> logger)
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
