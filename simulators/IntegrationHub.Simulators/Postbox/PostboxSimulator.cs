using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Postbox;

/// <summary>The BundID postbox (ZBP) behind FIT-Connect's bridge, with per-mailbox inboxes tests can read.</summary>
public sealed class PostboxSimulator(TimeProvider time, ILogger<PostboxSimulator> logger)
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
