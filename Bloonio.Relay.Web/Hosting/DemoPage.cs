using System.Net;
using Bloonio.Relay.Core.Tenants;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// <c>/demo</c>: a plain shop page embedding the widget with the development tenant's current widget key, exactly as a
/// site owner would paste it. Only in Development (elsewhere there is no demo tenant to show).
/// </summary>
public static class DemoPage
{
    public static async Task<IResult> RenderAsync(HttpContext http, ITenantRepository tenants, IWebHostEnvironment environment, CancellationToken ct)
    {
        var key = environment.IsDevelopment() || environment.IsEnvironment("Testing")
            ? (await tenants.GetAsync(DevelopmentSeeder.DemoTenantId, ct))?.WidgetPublicKey
            : null;
        if (key is null)
        {
            return Results.NotFound();
        }

        var src = WebUtility.HtmlEncode($"{http.Request.Scheme}://{http.Request.Host}/widget.js");
        var nonce = http.Items[SecurityHeaders.NonceItem] as string ?? "";
        return Results.Content($$"""
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>Acme Outdoor — demo shop</title>
              <style nonce="{{nonce}}">
                body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1f2937; background: #f8fafc; }
                header { background: #0f172a; color: #fff; padding: 1rem 2rem; }
                main { max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
                .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: 1rem; }
                .card { background: #fff; border-radius: .75rem; padding: 1rem; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
                /* Hostile host styles: the widget must not care. */
                button { all: unset; } * { letter-spacing: .02em; }
              </style>
            </head>
            <body>
              <header><strong>Acme Outdoor</strong> · the development tenant's demo shop</header>
              <main>
                <h1>Trail gear for every season</h1>
                <p>This page embeds the Bloonio chat widget with one script tag. Ask the bot about opening hours, or ask for a human.</p>
                <div class="grid">
                  <div class="card"><h2>Alpine jacket</h2><p>€189</p></div>
                  <div class="card"><h2>Trail runners</h2><p>€129</p></div>
                  <div class="card"><h2>Ultralight tent</h2><p>€349</p></div>
                </div>
              </main>
              <script src="{{src}}" data-widget-key="{{WebUtility.HtmlEncode(key)}}" defer></script>
            </body>
            </html>
            """, "text/html; charset=utf-8");
    }
}
