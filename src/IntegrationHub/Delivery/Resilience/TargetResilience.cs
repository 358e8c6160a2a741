using IntegrationHub.Tenancy;

namespace IntegrationHub.Delivery.Resilience;

/// <summary>
/// The resolved settings of one target's resilience pipeline: the defaults of its kind, overridden by
/// <c>Hub:Targets:{name}:Resilience</c>. A timeout of zero or less is off.
/// </summary>
/// <remarks>
/// The baseline is the standard resilience handler of Microsoft.Extensions.Http.Resilience (limiter 1000, total timeout
/// 30 s, 3 retries exponential with jitter from 2 s honouring Retry-After, circuit breaker 10 % over 30 s with at least
/// 100 calls and 5 s break, attempt timeout 10 s). That handler is sized for busy web APIs; the hub's targets are
/// town-hall systems that see a few calls a minute, so per kind:
/// <list type="bullet">
/// <item>Procedures (Prosoz, Marius): at most 4 calls at once (a municipality's procedure server, not a cloud API), a
/// queue of 64 instead of refusing (the delivery endpoint runs 16 consumers; a waiting call is cheaper than a refusal
/// and a redelivery), a breaker that can trip at this volume (50 % of at least 10 calls in 60 s, 30 s break).</item>
/// <item>DMS: 8 at once, the same breaker; filings carry documents, so they get the upload timeout.</item>
/// <item>Postbox (a central federal service): 32 at once, 20 % of at least 20 calls in 60 s.</item>
/// </list>
/// Uploads: the handover streams a case with its attachments (100 MB and more), filings and Bescheide carry documents.
/// A fixed attempt timeout would cut a healthy slow upload, and so would a total timeout. For these steps the
/// stall is bounded by the adapter's progress timeout instead (<see cref="QuittungHttpClient"/> cancels when the upload
/// makes no progress for <see cref="TargetOptions.Timeout"/>, however long the healthy transfer takes). Polly then applies
/// only <see cref="UploadTimeout"/> per attempt (default 1 h: 100 MB still pass at 30 kB/s), a backstop against an
/// adapter that hangs, and no total timeout: the retries are bounded by their count.
/// </remarks>
public sealed record TargetResilience
{
    public int MaxConcurrency { get; init; } = 1000;
    public int QueueLimit { get; init; }
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan UploadTimeout { get; init; } = TimeSpan.FromHours(1);
    public int MaxRetries { get; init; } = 3;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);
    public double FailureRatio { get; init; } = 0.1;
    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(30);
    public int MinimumThroughput { get; init; } = 100;
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The standard resilience handler's defaults.</summary>
    public static TargetResilience Standard { get; } = new();

    /// <summary>The defaults of a target kind (the standard handler's for kinds without their own).</summary>
    public static TargetResilience ForKind(string? kind) => kind?.ToLowerInvariant() switch
    {
        "prosoz" or "marius" => Standard with
        {
            MaxConcurrency = 4, QueueLimit = 64, TotalTimeout = TimeSpan.FromSeconds(60), AttemptTimeout = TimeSpan.FromSeconds(30),
            FailureRatio = 0.5, SamplingDuration = TimeSpan.FromSeconds(60), MinimumThroughput = 10, BreakDuration = TimeSpan.FromSeconds(30),
        },
        "dms" => Standard with
        {
            MaxConcurrency = 8, QueueLimit = 64, TotalTimeout = TimeSpan.FromSeconds(60), AttemptTimeout = TimeSpan.FromSeconds(30),
            FailureRatio = 0.5, SamplingDuration = TimeSpan.FromSeconds(60), MinimumThroughput = 10, BreakDuration = TimeSpan.FromSeconds(30),
        },
        "postbox" => Standard with
        {
            MaxConcurrency = 32, QueueLimit = 64, FailureRatio = 0.2, SamplingDuration = TimeSpan.FromSeconds(60), MinimumThroughput = 20,
            BreakDuration = TimeSpan.FromSeconds(15),
        },
        _ => Standard,
    };

    /// <summary>The kind's defaults with the target's own settings applied.</summary>
    public static TargetResilience For(string name, TargetOptions target)
    {
        var defaults = ForKind(target.Kind);
        if (target.Resilience is not { } o) return defaults;
        var resolved = new TargetResilience
        {
            MaxConcurrency = o.MaxConcurrency ?? defaults.MaxConcurrency,
            QueueLimit = o.QueueLimit ?? defaults.QueueLimit,
            TotalTimeout = o.TotalTimeout ?? defaults.TotalTimeout,
            AttemptTimeout = o.AttemptTimeout ?? defaults.AttemptTimeout,
            UploadTimeout = o.UploadTimeout ?? defaults.UploadTimeout,
            MaxRetries = o.MaxRetries ?? defaults.MaxRetries,
            BaseDelay = o.BaseDelay ?? defaults.BaseDelay,
            MaxDelay = o.MaxDelay ?? defaults.MaxDelay,
            FailureRatio = o.FailureRatio ?? defaults.FailureRatio,
            SamplingDuration = o.SamplingDuration ?? defaults.SamplingDuration,
            MinimumThroughput = o.MinimumThroughput ?? defaults.MinimumThroughput,
            BreakDuration = o.BreakDuration ?? defaults.BreakDuration,
        };
        resolved.Validate(name);
        return resolved;
    }

    /// <summary>Polly's own limits, checked with the setting's name so a bad configuration says where it is wrong.</summary>
    private void Validate(string target)
    {
        if (MaxConcurrency < 1) throw Invalid(target, nameof(MaxConcurrency), "must be at least 1");
        if (QueueLimit < 0) throw Invalid(target, nameof(QueueLimit), "must not be negative");
        if (MaxRetries is < 0 or > 100) throw Invalid(target, nameof(MaxRetries), "must be between 0 and 100");
        if (BaseDelay < TimeSpan.Zero || BaseDelay > TimeSpan.FromDays(1)) throw Invalid(target, nameof(BaseDelay), "must be between 0 and 1 day");
        if (MaxDelay <= TimeSpan.Zero) throw Invalid(target, nameof(MaxDelay), "must be positive");
        if (FailureRatio is <= 0 or > 1) throw Invalid(target, nameof(FailureRatio), "must be above 0 and at most 1");
        if (SamplingDuration < TimeSpan.FromMilliseconds(500)) throw Invalid(target, nameof(SamplingDuration), "must be at least 0.5 s");
        if (MinimumThroughput < 2) throw Invalid(target, nameof(MinimumThroughput), "must be at least 2");
        if (BreakDuration < TimeSpan.FromMilliseconds(500)) throw Invalid(target, nameof(BreakDuration), "must be at least 0.5 s");
    }

    private static InvalidOperationException Invalid(string target, string setting, string rule) =>
        new($"Hub:Targets:{target}:Resilience:{setting} {rule}.");

    /// <summary>Polly applies a timeout above 10 ms and below 24 h; zero or less (or more) means off.</summary>
    internal static TimeSpan AsPollyTimeout(TimeSpan timeout) =>
        timeout > TimeSpan.FromMilliseconds(10) && timeout < TimeSpan.FromHours(24) ? timeout : Timeout.InfiniteTimeSpan;
}
