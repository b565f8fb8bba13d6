using System.Diagnostics;
using System.Text.Json;
using Bloonio.Relay.Tests.Hubs;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Bloonio.Relay.Tests.Observability;

/// <summary>A visitor's message is one trace: the hub call, the append batch that writes it (PostgreSQL's statements inside), the live push.</summary>
public sealed class TracingTests
{
    [Test]
    public async Task OneVisitorMessageIsOneTraceFromHubCallToPostgresToDelivery()
    {
        var spans = new List<Activity>();
        await using var relay = new RelayFactory(new Dictionary<string, string?> { ["Relay:Telemetry:Tracing"] = "on" },
            services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        var api = new RelayApi(relay);
        var tenant = await api.CreateTenantAsync();
        var session = (await api.WidgetSessionAsync(tenant)).ShouldBe(201).Data;
        await using var visitor = HubConnections.ForTestServer(relay.Server, "/hubs/visitor", session.GetProperty("visitor_token").GetString()!,
            HttpTransportType.WebSockets);
        await visitor.StartReadyAsync("/hubs/visitor");
        await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "traced", text = "Follow me" });
        relay.Services.GetRequiredService<TracerProvider>().ForceFlush();

        List<Activity> Snapshot()
        {
            lock (spans)
            {
                return spans.ToList();
            }
        }

        var call = Snapshot().Single(s => s.Source.Name == "Microsoft.AspNetCore.SignalR.Server" && s.DisplayName.EndsWith("/Send", StringComparison.Ordinal));
        var trace = Snapshot().Where(s => s.TraceId == call.TraceId).ToList();
        Assert.Multiple(() =>
        {
            var batch = trace.SingleOrDefault(s => s.OperationName == "relay.append_batch");
            Assert.That(batch, Is.Not.Null, "the append batch is in the message's trace: " + string.Join(", ", trace.Select(s => s.DisplayName)));
            Assert.That(trace.Where(s => s.Source.Name == "Npgsql" && s.ParentSpanId == batch?.SpanId), Is.Not.Empty, "PostgreSQL's statements inside the batch");
            Assert.That(trace.Any(s => s.OperationName == "relay.push"), Is.True, "the live push");
        });
    }
}
