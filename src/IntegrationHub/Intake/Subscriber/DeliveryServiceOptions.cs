using IntegrationHub.Tenancy;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Intake.Subscriber;

/// <summary>
/// A FIT-Connect delivery service (FITKO's Zustelldienst) at which the hub subscribes destinations that municipalities
/// keep there (section <c>Hub:DeliveryServices:{name}</c>). Every destination listed must also be a hub destination in
/// <c>Hub:Tenants</c>: the hub decrypts with the same destination key and routes by the same tenant.
/// </summary>
public sealed class DeliveryServiceOptions
{
    public const string Section = "Hub:DeliveryServices";

    /// <summary>The Submission API, e.g. https://submission-api-testing.fit-connect.fitko.dev/ (paths v1/… are relative to it).</summary>
    public string BaseUrl { get; set; } = string.Empty;
    /// <summary>The OAuth token endpoint (client credentials); BaseUrl + "token" when empty.</summary>
    public string? TokenUrl { get; set; }
    /// <summary>The subscriber client registered for the destinations.</summary>
    public string ClientId { get; set; } = string.Empty;
    /// <summary>From the environment or a secret store (Hub__DeliveryServices__{name}__ClientSecret), never from a file.</summary>
    public string ClientSecret { get; set; } = string.Empty;
    /// <summary>The secret of the HMAC with which the delivery service authenticates its callbacks (also a secret).</summary>
    public string CallbackSecret { get; set; } = string.Empty;
    /// <summary>How often the hub lists new submissions even without a callback; zero: only on callbacks.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Per call to the delivery service (an attachment download: until its headers arrive).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Submissions listed per page.</summary>
    public int PageSize { get; set; } = 100;
    /// <summary>The subscribed destinations (ids of hub destinations in Hub:Tenants).</summary>
    public List<Guid> Destinations { get; set; } = [];

    public Uri BaseUri => new(BaseUrl.EndsWith('/') ? BaseUrl : BaseUrl + "/");
    public Uri TokenUri => string.IsNullOrWhiteSpace(TokenUrl) ? new Uri(BaseUri, "token") : new Uri(TokenUrl);
}

/// <summary>The configured delivery services, checked at start-up.</summary>
public sealed class DeliveryServices
{
    private readonly Dictionary<string, DeliveryServiceOptions> _services;

    public DeliveryServices(IOptions<Dictionary<string, DeliveryServiceOptions>> services, IOptions<HubOptions> hub)
    {
        _services = new Dictionary<string, DeliveryServiceOptions>(services.Value, StringComparer.OrdinalIgnoreCase);
        var errors = Validate(_services, hub.Value).ToList();
        if (errors.Count > 0)
            throw new InvalidOperationException("The delivery service configuration is invalid:\n- " + string.Join("\n- ", errors));
    }

    public IReadOnlyCollection<string> Names => _services.Keys;

    public DeliveryServiceOptions? Find(string name) => _services.GetValueOrDefault(name);

    public DeliveryServiceOptions Get(string name) =>
        Find(name) ?? throw new InvalidOperationException($"Delivery service '{name}' is not configured.");

    /// <summary>The delivery service through which the hub subscribes this destination, if any.</summary>
    public string? ServiceOf(Guid destinationId) => _services.FirstOrDefault(s => s.Value.Destinations.Contains(destinationId)).Key;

    public static IEnumerable<string> Validate(IReadOnlyDictionary<string, DeliveryServiceOptions> services, HubOptions hub)
    {
        var hosted = hub.Tenants.SelectMany(t => t.Destinations).Select(d => d.Id).ToHashSet();
        var subscribed = new HashSet<Guid>();
        foreach (var (name, service) in services)
        {
            if (!Uri.TryCreate(service.BaseUrl, UriKind.Absolute, out _))
                yield return $"Delivery service '{name}': BaseUrl must be an absolute URL.";
            if (!string.IsNullOrWhiteSpace(service.TokenUrl) && !Uri.TryCreate(service.TokenUrl, UriKind.Absolute, out _))
                yield return $"Delivery service '{name}': TokenUrl must be an absolute URL.";
            if (string.IsNullOrWhiteSpace(service.ClientId) || string.IsNullOrEmpty(service.ClientSecret))
                yield return $"Delivery service '{name}': ClientId and ClientSecret are required.";
            if (string.IsNullOrEmpty(service.CallbackSecret))
                yield return $"Delivery service '{name}': CallbackSecret is required (callbacks are refused without it).";
            if (service.PollInterval < TimeSpan.Zero || service.Timeout <= TimeSpan.Zero || service.PageSize is < 1 or > 500)
                yield return $"Delivery service '{name}': PollInterval must not be negative, Timeout must be positive, PageSize 1 to 500.";
            if (service.Destinations.Count == 0)
                yield return $"Delivery service '{name}': no destinations to subscribe.";
            foreach (var destination in service.Destinations)
            {
                if (!hosted.Contains(destination))
                    yield return $"Delivery service '{name}': destination {destination} is not a destination in Hub:Tenants.";
                if (!subscribed.Add(destination))
                    yield return $"Destination {destination} is subscribed at more than one delivery service.";
            }
            // The delivery service is also the target of the events the hub answers with (see SubscriberRegistration).
            if (hub.Targets.TryGetValue(name, out var target) && !string.Equals(target.Kind, FitConnectDeliveryServiceAdapter.KindName, StringComparison.OrdinalIgnoreCase))
                yield return $"Delivery service '{name}': Hub:Targets:{name} exists with Kind '{target.Kind}'; the name is taken.";
        }
    }
}
