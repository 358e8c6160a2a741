namespace IntegrationHub.CaseStatus;

/// <summary>
/// The status a citizen sees in the BundID postbox (the ZBP status envelope's values), as milestones of one timeline
/// per submission.
/// </summary>
public static class CitizenStatus
{
    /// <summary>The online service has started the application (not used by the hub, which sees it submitted).</summary>
    public const string Initiated = "INITIATED";
    /// <summary>The hub accepted the submission: Eingangsbestätigung.</summary>
    public const string Submitted = "SUBMITTED";
    /// <summary>The specialist procedure took the case and assigned its Aktenzeichen.</summary>
    public const string Received = "RECEIVED";
    public const string Processing = "PROCESSING";
    /// <summary>A Nachforderung: the citizen must act before a deadline.</summary>
    public const string ActionRequired = "ACTION_REQUIRED";
    /// <summary>Decided: the Bescheid is in the postbox and filed.</summary>
    public const string Completed = "COMPLETED";

    public static readonly IReadOnlyList<string> All = [Initiated, Submitted, Received, Processing, ActionRequired, Completed];

    /// <summary>What a procedure may report (the hub sets SUBMITTED and RECEIVED itself).</summary>
    public static readonly IReadOnlyList<string> Reportable = [Processing, ActionRequired, Completed];

    /// <summary>The history step of a milestone: "status:RECEIVED".</summary>
    public static string HistoryStep(string status) => "status:" + status;

    /// <summary>The event in the sender's FIT-Connect event log for a milestone.</summary>
    public static string EventUri(string status) => "urn:integrationhub:events:case-status:" + status.ToLowerInvariant();
}
