using Bloonio.Relay.Core.Common;
using Microsoft.Extensions.Logging.Console;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Bloonio.Relay.Web.Observability;

/// <summary>
/// Metrics, traces and logs (docs/observability.md):
/// <list type="bullet">
/// <item>Metrics: the relay's meter (<see cref="RelayTelemetry"/>, <see cref="RelayGauges"/>), ASP.NET Core's and
/// Kestrel's, SignalR's connection meter, HttpClient's, Npgsql's and the .NET runtime's; served on <c>/metrics</c> for
/// Prometheus (<c>Relay:Metrics:Enabled</c>, on by default; <c>Relay:Metrics:Port</c> to serve it on a port of its own),
/// and exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.</item>
/// <item>Traces: ASP.NET Core, SignalR hub calls, HttpClient (brain, webhooks), Npgsql, and the relay's spans (a
/// message's append batch and its live push); recorded only when something takes them: OTLP, the console exporter
/// (<c>Relay:Telemetry:Console</c>) or <c>Relay:Telemetry:Tracing=on</c> (tests add their own exporter).</item>
/// <item>Logs: trace and span ids on every entry; <c>Relay:Logging:Format=json</c> for JSON lines; one summary line per
/// REST call (<see cref="RequestSummary"/>).</item>
/// </list>
/// </summary>
public static class RelayObservability
{
    public static WebApplicationBuilder AddRelayObservability(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (string.Equals(configuration["Relay:Logging:Format"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = ConsoleFormatterNames.Json);
        }

        RelayTelemetry.LabelTenants((configuration["Relay:Metrics:TenantLabels"] ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => Guid.TryParse(t, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty));

        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var console = configuration.GetValue("Relay:Telemetry:Console", false);
        var tracing = configuration["Relay:Telemetry:Tracing"] switch
        {
            "on" => true,
            "off" => false,
            _ => otlp || console,
        };
        var metrics = configuration.GetValue("Relay:Metrics:Enabled", true);
        builder.Services.AddSingleton<RelayGauges>();
        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(r => r.AddService("bloonio-relay"));
        if (metrics || otlp)
        {
            telemetry.WithMetrics(m =>
            {
                // ASP.NET Core's own meters, named rather than through AddAspNetCoreInstrumentation: the same instruments,
                // without the startup filter it adds around every request (a frame each hub connection would keep).
                m.AddMeter(RelayTelemetry.Name, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Routing", "Microsoft.AspNetCore.Diagnostics",
                        "Microsoft.AspNetCore.Http.Connections", "Microsoft.AspNetCore.Server.Kestrel", "Npgsql")
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (metrics)
                {
                    // No cached scrape answer: a scrape sees the counters as they are (the gauges' database reads have
                    // their own 2-second snapshot).
                    m.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }

                if (otlp)
                {
                    m.AddOtlpExporter();
                }
            });
        }

        if (tracing)
        {
            telemetry.WithTracing(t =>
            {
                t.AddSource(RelayTelemetry.Name, "Microsoft.AspNetCore.SignalR.Server")
                    .AddAspNetCoreInstrumentation(o => o.Filter = c => !c.Request.Path.StartsWithSegments("/metrics") && !c.Request.Path.StartsWithSegments("/healthz"))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql();
                if (otlp)
                {
                    t.AddOtlpExporter();
                }

                if (console)
                {
                    t.AddConsoleExporter();
                }
            });
        }

        if (configuration.GetValue<int?>("Relay:Metrics:Port") is { } port)
        {
            // The scrape endpoint on a port of its own (a private network), beside the relay's own URLs.
            var urls = configuration["ASPNETCORE_URLS"] ?? configuration["urls"] ?? "http://localhost:7811";
            builder.WebHost.UseUrls([.. urls.Split(';', StringSplitOptions.RemoveEmptyEntries), $"http://*:{port}"]);
        }

        return builder;
    }

    public static WebApplication UseRelayObservability(this WebApplication app)
    {
        var configuration = app.Configuration;
        if (configuration.GetValue("Relay:Metrics:Enabled", true))
        {
            app.Services.GetRequiredService<RelayGauges>(); // its gauges exist from now on
            if (configuration.GetValue<int?>("Relay:Metrics:Port") is { } port)
            {
                app.UseOpenTelemetryPrometheusScrapingEndpoint(c => c.Connection.LocalPort == port && c.Request.Path == "/metrics");
            }
            else
            {
                app.UseOpenTelemetryPrometheusScrapingEndpoint(); // /metrics
            }
        }

        if (configuration.GetValue("Relay:Logging:Requests", true))
        {
            app.UseWhen(c => c.Request.Path.StartsWithSegments("/api"), api => api.UseMiddleware<RequestSummary>());
        }

        return app;
    }
}

/// <summary>
/// One line per REST call, after it: method, route template (never the path's ids, never query, headers or body), status,
/// duration and the tenant when known. Category <c>Bloonio.Relay.Requests</c>, at Information.
/// </summary>
public sealed class RequestSummary(RequestDelegate next, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("Bloonio.Relay.Requests");

    public async Task InvokeAsync(HttpContext context, CallerContext caller)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            if (_logger.IsEnabled(LogLevel.Information))
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
                _logger.LogInformation("{Method} /{Route} {Status} {DurationMs:0.0} ms tenant {TenantId}", context.Request.Method, route.TrimStart('/'),
                    context.Response.StatusCode, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, caller.TenantId?.ToString() ?? "-");
            }
        }
    }
}
