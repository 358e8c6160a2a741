using IntegrationHub.Operations.Access;
using IntegrationHub.Operations.Overview;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static IntegrationHub.Operations.Console.ConsoleHtml;

namespace IntegrationHub.Operations.Console;

/// <summary>
/// The operations console: server-rendered pages under /ops, signed in with an operator's API key (cookie
/// "OperatorCookie"). Pages only render and call the operations services, which enforce roles, municipalities,
/// masking and audit; buttons for actions the role may not do are not shown in the first place.
/// </summary>
public static class OperationsConsole
{
    public static IServiceCollection AddOperationsConsole(this IServiceCollection services)
    {
        services.AddScoped<IOperationsOverview, OperationsOverview>();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "hub-ops-af";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.FormFieldName = "__af";
        });
        return services;
    }

    public static WebApplication MapOperationsConsole(this WebApplication app)
    {
        app.MapGet("/ops/login", LoginForm).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/ops/login", LoginAsync).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/ops/denied", (HttpContext c) => Page(c, null, "Not allowed",
            Problem("Your role may not do this.", "Ask an administrator if you need it.") + "<p><a href=\"/ops\">Back to the dashboard</a></p>",
            StatusCodes.Status403Forbidden)).AllowAnonymous().ExcludeFromDescription();

        var readers = app.MapGroup("/ops").RequireAuthorization(OperatorAuthentication.ReaderPolicy).ExcludeFromDescription();
        readers.MapPost("/logout", Act(async (c, who, _) =>
        {
            await c.SignOutAsync(OperatorAuthentication.CookieScheme);
            return Results.Redirect(OperatorAuthentication.LoginPath);
        }));
        ConsolePages.Map(readers);
        FailedMessagePages.Map(readers);
        Tenancy.Onboarding.SmokeTests.MunicipalityPages.Map(readers);
        return app;
    }

    /// <summary>A page for a signed-in operator; a refused operation shows the problem's title and detail.</summary>
    internal static Func<HttpContext, Task<IResult>> View(Func<HttpContext, Operator, CancellationToken, Task<IResult>> render) => async context =>
    {
        var who = context.User.Operator()!;
        try { return await render(context, who, context.RequestAborted); }
        catch (OperationRefusedException refused) { return Refused(context, who, refused); }
        catch (ConsoleUnavailableException unavailable)
        {
            return Page(context, who, "Not available", Problem("This part of the console is not available.", unavailable.Message), StatusCodes.Status503ServiceUnavailable);
        }
    };

    /// <summary>A form post: the antiforgery token is checked before anything is done.</summary>
    internal static Func<HttpContext, Task<IResult>> Act(Func<HttpContext, Operator, CancellationToken, Task<IResult>> act) => async context =>
    {
        if (!await ValidTokenAsync(context))
            return Page(context, context.User.Operator(), "Form expired", Problem("The form was not accepted.", "Reload the page and try again."), StatusCodes.Status400BadRequest);
        return await View(act)(context);
    };

    private static async Task<bool> ValidTokenAsync(HttpContext context)
    {
        try
        {
            await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context);
            return true;
        }
        catch (AntiforgeryValidationException)
        {
            return false;
        }
    }

    private static IResult LoginForm(HttpContext context) => LoginPage(context, null, StatusCodes.Status200OK);

    private static IResult LoginPage(HttpContext context, string? error, int status, string hint = "Check the key and try again.")
    {
        var returnUrl = LocalReturnUrl(context.Request.Query["ReturnUrl"].ToString());
        var body = (error is null ? "" : Problem(error, hint)) + $"""
            <form method="post" action="/ops/login?ReturnUrl={U(returnUrl)}">
            {Token(context)}
            <label for="apiKey">API key</label>
            <input type="password" id="apiKey" name="apiKey" autocomplete="current-password" required autofocus>
            <p><button type="submit">Sign in</button></p>
            </form>
            <p class="muted">Operators and their keys are configured in Hub:Operations:Operators (see README, "Operations console").</p>
            """;
        return Page(context, null, "Sign in", body, status);
    }

    private static async Task<IResult> LoginAsync(HttpContext context, OperatorDirectory operators, IOperatorAudit audit, SignInThrottle throttle)
    {
        if (!await ValidTokenAsync(context)) return LoginPage(context, "The form expired.", StatusCodes.Status400BadRequest);
        if (throttle.Refuses(context))
            return LoginPage(context, "Too many failed sign-ins from this address.", StatusCodes.Status429TooManyRequests,
                $"Try again in {SignInThrottle.RetryAfterSeconds(context)} seconds.");
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var key = form["apiKey"].ToString().Trim();
        if (key.Length == 0 || operators.FindByKey(key) is not { } who)
        {
            await throttle.FailedAsync(context, "console");
            return LoginPage(context, "This API key is not known.", StatusCodes.Status401Unauthorized);
        }
        await context.SignInAsync(OperatorAuthentication.CookieScheme, ConsoleSessions.Principal(who, key));
        await audit.WriteAsync(who, "login", "console", ct: context.RequestAborted);
        return Results.Redirect(LocalReturnUrl(context.Request.Query["ReturnUrl"].ToString()));
    }

    /// <summary>Only paths of the console itself: a crafted link must not send a fresh session elsewhere.</summary>
    private static string LocalReturnUrl(string? url) =>
        url is { Length: > 0 } && url.StartsWith("/ops", StringComparison.Ordinal) && !url.StartsWith("//", StringComparison.Ordinal)
            && !url.Contains('\\') && !url.StartsWith("/ops/login", StringComparison.Ordinal)
            ? url : "/ops";
}

/// <summary>A service the page needs is not part of this hub's set-up.</summary>
internal sealed class ConsoleUnavailableException(string message) : Exception(message);

internal static class ConsoleServices
{
    public static IFailedMessages FailedMessages(this HttpContext context) =>
        context.RequestServices.GetService<IFailedMessages>() ?? throw new ConsoleUnavailableException("The failed-message store is not configured in this hub.");

    /// <summary>Edit and retry, when registered and switched on (Hub:Operations:EditAndRetry:Enabled).</summary>
    public static IMessageEdits? Edits(this HttpContext context) => context.RequestServices.GetService<IMessageEdits>() is { Enabled: true } edits ? edits : null;
}
