using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Unicode;
using IntegrationHub.Operations.Access;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IntegrationHub.Operations.Console;

/// <summary>
/// The console's page frame and the few pieces every page uses. Plain server-rendered HTML: every value passes
/// through <see cref="E"/>, every form carries an antiforgery token, and the CSS is inline (no front-end build).
/// </summary>
internal static class ConsoleHtml
{
    // Keeps non-ASCII letters (umlauts, the mask's •••) readable in the page source; markup characters are still encoded.
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static string E(object? value) => value switch
    {
        null => string.Empty,
        DateTimeOffset at => Time(at),
        _ => Encoder.Encode(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty),
    };

    /// <summary>For a query string value.</summary>
    public static string U(string? value) => Uri.EscapeDataString(value ?? string.Empty);

    public static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Time(DateTimeOffset? at) => at is { } a ? Time(a) : "–";

    /// <summary>A value the service masked is shown as it came (•••) with a hint why.</summary>
    public static string Masked(string? value) => value == SocialDataMask.Hidden
        ? $"<span class=\"masked\" title=\"Hidden for your role\">{E(value)}</span>"
        : E(value);

    /// <summary>A horizontal CSS bar for a count relative to the largest count of its table.</summary>
    public static string Bar(int count, int max)
    {
        var percent = max <= 0 ? 0 : Math.Max(1, count * 100 / max);
        return $"<span class=\"bar\" style=\"width:{percent}%\" aria-hidden=\"true\"></span>";
    }

    /// <summary>A POST form with the antiforgery token, hidden fields and one submit button.</summary>
    public static string Form(HttpContext context, string action, string button, IEnumerable<KeyValuePair<string, string?>>? fields = null,
        string buttonClass = "", string? id = null)
    {
        var html = new StringBuilder();
        html.Append($"<form method=\"post\" action=\"{E(action)}\" class=\"inline\"{(id is null ? "" : $" id=\"{E(id)}\"")}>");
        html.Append(Token(context));
        foreach (var (name, value) in fields ?? []) html.Append($"<input type=\"hidden\" name=\"{E(name)}\" value=\"{E(value)}\">");
        html.Append($"<button type=\"submit\" class=\"{E(buttonClass)}\">{E(button)}</button></form>");
        return html.ToString();
    }

    public static string Token(HttpContext context)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">";
    }

    public static IResult Page(HttpContext context, Operator? who, string title, string body, int status = StatusCodes.Status200OK,
        int? refreshSeconds = null)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        if (refreshSeconds is { } seconds) html.Append($"<meta http-equiv=\"refresh\" content=\"{seconds}\">");
        html.Append($"<title>{E(title)} – IntegrationHub operations</title><style>{Css}</style></head><body>");
        html.Append("<header><a class=\"brand\" href=\"/ops\">IntegrationHub operations</a>");
        if (who is not null)
        {
            html.Append("<nav aria-label=\"Main\"><a href=\"/ops\">Dashboard</a><a href=\"/ops/failed\">Failed messages</a>");
            html.Append("<a href=\"/ops/batches\">Retry batches</a><a href=\"/ops/submissions\">Submissions</a><a href=\"/ops/municipalities\">Municipalities</a><a href=\"/ops/audit\">Audit log</a></nav>");
            html.Append($"<div class=\"who\"><span>{E(who.Name)} ({E(who.Role.ToString().ToLowerInvariant())})</span>");
            html.Append(Form(context, "/ops/logout", "Sign out", buttonClass: "link"));
            html.Append("</div>");
        }
        html.Append($"</header><main><h1>{E(title)}</h1>{body}</main></body></html>");
        return Results.Content(html.ToString(), "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    /// <summary>A refused operation: the problem's title and detail, with the problem's status.</summary>
    public static IResult Refused(HttpContext context, Operator? who, OperationRefusedException refused) =>
        Page(context, who, "Not done", Problem(refused.Type.Title, refused.Message == refused.Type.Title ? null : refused.Message), refused.Type.Status);

    public static string Problem(string title, string? detail) =>
        $"<div class=\"problem\" role=\"alert\"><strong>{E(title)}</strong>{(detail is null ? "" : $"<p>{E(detail)}</p>")}</div>";

    public static string Notice(string? text) => string.IsNullOrEmpty(text) ? string.Empty : $"<div class=\"notice\" role=\"status\">{E(text)}</div>";

    public static string Progress(RetryBatchView batch)
    {
        var done = batch.Issued + batch.Skipped;
        var label = $"{done} of {batch.Total} done ({batch.Issued} issued, {batch.Skipped} skipped)";
        return $"<progress max=\"{Math.Max(1, batch.Total)}\" value=\"{done}\" aria-label=\"{E(label)}\"></progress> <span class=\"progress-text\">{E(label)}</span>";
    }

    private const string Css = """
        :root{--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--accent:#0b5cad;--bad:#b42318;--ok:#1a7f37;--bg:#f6f8fa}
        *{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
        header{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:center;padding:.6rem 1.5rem;background:var(--bg);border-bottom:1px solid var(--line)}
        header .brand{font-weight:600;color:var(--fg);text-decoration:none}nav a{margin-right:1rem}.who{margin-left:auto;display:flex;gap:.5rem;align-items:center}
        main{padding:1rem 1.5rem;max-width:80rem}a{color:var(--accent)}h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:1.8rem}
        table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
        th{background:var(--bg);font-weight:600}td.num,th.num{text-align:right}caption{text-align:left;color:var(--muted);padding:.2rem 0}
        .bar{display:inline-block;height:.8rem;background:var(--accent);border-radius:2px;vertical-align:middle}
        .figures{display:flex;flex-wrap:wrap;gap:1rem}.figure{border:1px solid var(--line);border-radius:6px;padding:.6rem 1rem;min-width:10rem}
        .figure .value{font-size:1.6rem;font-weight:600;display:block}
        .problem{border-left:4px solid var(--bad);background:#fff4f2;padding:.6rem 1rem;margin:1rem 0}.notice{border-left:4px solid var(--ok);background:#f0fff4;padding:.6rem 1rem;margin:1rem 0}
        .masked{color:var(--muted);letter-spacing:.1em}pre{background:var(--bg);border:1px solid var(--line);padding:.6rem;overflow:auto;max-height:30rem;white-space:pre-wrap}
        form.inline{display:inline}button{font:inherit;padding:.25rem .8rem;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:4px;cursor:pointer}
        button.secondary{background:#fff;color:var(--accent)}button.link{background:none;border:none;color:var(--accent);text-decoration:underline;padding:0}
        label{display:block;font-weight:600;margin:.6rem 0 .2rem}input[type=text],input[type=password],input[type=search],textarea,select{font:inherit;padding:.3rem .5rem;border:1px solid var(--line);border-radius:4px;min-width:20rem}
        textarea{width:100%;min-height:10rem;font-family:monospace}.muted{color:var(--muted)}progress{width:16rem;height:1rem;vertical-align:middle}
        .status-Unresolved{color:var(--bad)}.status-Resolved,.status-Completed{color:var(--ok)}.actions{display:flex;gap:.5rem;flex-wrap:wrap;margin:.5rem 0}
        """;
}
