using Microsoft.AspNetCore.Builder;

namespace IntegrationHub.CaseStatus;

public static class ProcedureCallbackApi
{
    public static WebApplication MapProcedureCallbacks(this WebApplication app) => app;
}
