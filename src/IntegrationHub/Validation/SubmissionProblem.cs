using IntegrationHub.Problems;

namespace IntegrationHub.Validation;

/// <summary>An expected reason to reject a submission; its detail names fields and ids, never values.</summary>
public sealed class SubmissionProblemException(ProblemType type, string detail) : Exception(detail)
{
    public ProblemType Type { get; } = type;
}
