using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Observability;

/// <summary>
/// The real thing: Debian's Prometheus scrapes a relay on Kestrel (and loads the alert rules of docs/observability), and
/// a PromQL query over its HTTP API sees the relay's message counter move after a conversation; promtool checks and
/// unit-tests the rules; every query of the Grafana dashboard names metrics of the catalogue.
/// </summary>
[NonParallelizable]
public sealed partial class PrometheusTests
{
    private static string Docs(string file) => Path.Combine(TestPaths.RepositoryRoot(), "docs", "observability", file);

    [Test]
    public async Task PrometheusScrapesTheRelayAndSeesItsMessageCounterMove()
    {
        await using var relay = new RelayFactory();
        var url = new Uri(relay.StartOnKestrel());
        var dir = Directory.CreateTempSubdirectory("relay-prometheus-");
        var port = RedisServer.FreePort();
        await File.WriteAllTextAsync(Path.Combine(dir.FullName, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            rule_files:
              - {Docs("alerts.yml")}
            scrape_configs:
              - job_name: bloonio-relay
                metrics_path: /metrics
                static_configs:
                  - targets: ["{url.Authority}"]
            """);
        var start = new ProcessStartInfo("prometheus") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
                 {
                     $"--config.file={dir.FullName}/prometheus.yml", $"--storage.tsdb.path={dir.FullName}/data",
                     $"--web.listen-address=127.0.0.1:{port}",
                 })
        {
            start.ArgumentList.Add(arg);
        }

        using var prometheus = Process.Start(start)!;
        _ = prometheus.StandardError.ReadToEndAsync();
        _ = prometheus.StandardOutput.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
            await UntilAsync(async () => (await TryGetAsync(http, "/-/ready"))?.IsSuccessStatusCode == true, "Prometheus is ready");
            await UntilAsync(async () => await QueryAsync(http, "up{job=\"bloonio-relay\"}") == 1, "Prometheus scrapes the relay");
            var before = await QueryAsync(http, "sum(relay_messages_stored_total)") ?? 0;

            var api = new RelayApi(url);
            var tenant = await api.CreateTenantAsync();
            var token = (await api.WidgetSessionAsync(tenant)).ShouldBe(201).Data.GetProperty("visitor_token").GetString()!;
            await using var visitor = HubConnections.ForUrl(url, "/hubs/visitor", token, HttpTransportType.WebSockets);
            await visitor.StartAsync();
            for (var i = 0; i < 3; i++)
            {
                await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = $"p{i}", text = $"Message {i}" });
            }

            await UntilAsync(async () => await QueryAsync(http, "sum(relay_messages_stored_total)") >= before + 3,
                "PromQL sees the three messages");
            var rules = await (await http.GetAsync("/api/v1/rules")).Content.ReadAsStringAsync();
            Assert.That(rules, Does.Contain("RelayOutboxLag").And.Contain("Relay5xxRatio"), "the alert rules are loaded");
        }
        finally
        {
            prometheus.Kill();
            await prometheus.WaitForExitAsync();
            dir.Delete(recursive: true);
        }
    }

    [Test]
    public async Task TheAlertRulesPassPromtoolAndItsUnitTests()
    {
        Assert.That(await RunAsync("promtool", "check", "rules", Docs("alerts.yml")), Does.Contain("SUCCESS"));
        Assert.That(await RunAsync("promtool", "test", "rules", Docs("alerts.test.yml")), Does.Contain("SUCCESS"));
    }

    [GeneratedRegex(@"\b(relay_[a-z_]+|http_server_[a-z_]+|signalr_server_[a-z_]+)\b")]
    private static partial Regex MetricName();

    [Test]
    public async Task TheDashboardQueriesOnlyCataloguedMetrics()
    {
        var catalogue = await File.ReadAllTextAsync(Path.Combine(TestPaths.RepositoryRoot(), "docs", "observability.md"));
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Docs("grafana-dashboard.json")));
        var expressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        Assert.That(expressions, Is.Not.Empty);
        var names = expressions.SelectMany(e => MetricName().Matches(e).Select(m => Regex.Replace(m.Value, "_(bucket|count|sum|total)$", ""))).Distinct();
        Assert.That(names.Where(n => !catalogue.Contains($"`{n}", StringComparison.Ordinal)), Is.Empty, "every metric a panel uses is in docs/observability.md");
    }

    private static async Task<double?> QueryAsync(HttpClient http, string promql)
    {
        var response = await TryGetAsync(http, $"/api/v1/query?query={Uri.EscapeDataString(promql)}");
        if (response is not { IsSuccessStatusCode: true })
        {
            return null;
        }

        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var result = json.RootElement.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? null : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    private static async Task<HttpResponseMessage?> TryGetAsync(HttpClient http, string path)
    {
        try
        {
            return await http.GetAsync(path);
        }
        catch (HttpRequestException)
        {
            return null; // not listening yet
        }
    }

    /// <summary>Prometheus scrapes on its own schedule: ask until it holds (bounded).</summary>
    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within 60 s: {what}");
            }

            await Task.Delay(250);
        }
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.That(process.ExitCode, Is.Zero, output);
        return output;
    }
}
