using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Docs;

/// <summary>
/// CI's smoke of bench/ (its own PostgreSQL, Redis, relay nodes and baselines, small numbers): every scenario runs and
/// yields a figure, no server logged an error, every event got its number. No threshold on any figure: speed is read in
/// docs/benchmarks.md, from full runs.
/// </summary>
[NonParallelizable]
public sealed partial class BenchSmokeTests
{
    [Test]
    public async Task EveryScenarioOfTheBenchmarkRunsAndYieldsItsFigures()
    {
        var root = TestPaths.RepositoryRoot();
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var bench = Path.Combine(root, "bench", "Bloonio.Relay.Bench", "bin", configuration, "net10.0", "Bloonio.Relay.Bench.dll");
        Assert.That(File.Exists(bench), Is.True, $"{bench} is built with Relay.sln");
        var output = Path.Combine(Path.GetTempPath(), $"bench-smoke-{Guid.NewGuid():N}.md");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { bench, "--smoke", "--out", output })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the smoke did not finish in 8 minutes:\n{await stderr}");
        }

        Assert.That(process.ExitCode, Is.Zero, $"{await stdout}\n{await stderr}");
        var report = await File.ReadAllTextAsync(output);
        File.Delete(output);
        TestContext.Out.WriteLine(report);

        var rows = report.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal))
            .Select(l => l.Split('|').Select(c => c.Trim()).ToArray())
            .Where(c => c.Length > 2)
            .ToDictionary(c => c[1], c => c[2]);
        double[] Figures(string rowStart)
        {
            var row = rows.Keys.SingleOrDefault(k => k.StartsWith(rowStart, StringComparison.Ordinal));
            Assert.That(row, Is.Not.Null, $"no row \"{rowStart}\" in\n{report}");
            var numbers = Number().Matches(rows[row!]).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToArray();
            Assert.That(numbers, Is.Not.Empty, $"\"{row}\" has no figure: {rows[row!]}");
            return numbers;
        }

        foreach (var measured in new[]
                 {
                     "P1 messages delivered/s", "P1 same,", "CPU per message, server", "CPU per message, PostgreSQL", "P2 latency",
                     "P3 managed heap", "P4 two nodes", "P4 latency p50", "P5 req/s, 16 at a time: fetch/operator-token", "P5 widget/sessions",
                     "P5 /healthz",
                 })
        {
            Assert.That(Figures(measured), Has.All.GreaterThan(0), $"\"{measured}\" measured nothing:\n{report}");
        }

        Assert.That(Figures("PostgreSQL transactions per message"), Has.All.GreaterThanOrEqualTo(0));
        Assert.That(Figures("idle node"), Has.All.GreaterThanOrEqualTo(0));
        var p6 = Figures("P6");
        Assert.That(p6[^1], Is.Zero, $"clients failed to come back after the restart:\n{report}");
        Assert.That(report, Does.Not.Contain("WARNING"), "a server logged errors, or events were left without their number");
        Assert.That(report, Does.Contain("events stored"));
    }

    [GeneratedRegex(@"-?\d+(\.\d+)?")]
    private static partial Regex Number();
}
