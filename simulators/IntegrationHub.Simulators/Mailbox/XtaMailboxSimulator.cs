using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace IntegrationHub.Simulators.Mailbox;

/// <summary>An XTA-style mailbox service (send, list by status, get, close), as Wohngeld procedures use it.</summary>
public sealed class XtaMailboxSimulator(TimeProvider time, ILogger<XtaMailboxSimulator> logger)
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
