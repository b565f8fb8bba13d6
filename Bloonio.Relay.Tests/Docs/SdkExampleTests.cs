using System.Diagnostics;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Docs;

/// <summary>docs/sdk/dotnet, the in-app SDK example, run as its README says against the relay on Kestrel.</summary>
[NonParallelizable]
public sealed class SdkExampleTests
{
    [Test]
    public async Task TheDotNetSdkExampleTalksToTheBotAsksForAHumanAndCatchesUpAfterBeingOffline()
    {
        await using var relay = new RelayFactory();
        var url = relay.StartOnKestrel();
        var api = new RelayApi(relay);
        var tenant = await api.CreateTenantAsync();
        (await api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new
        {
            faq = new[] { new { question = "What are your opening hours?", answer = "We are open 9:00-18:00, Monday to Friday." } },
        })).ShouldBe(200);

        // Built with the tests (a project reference), in the same configuration: run its dll as `dotnet run` would.
        var testBin = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        var example = Path.Combine(TestPaths.RepositoryRoot(), "docs", "sdk", "dotnet", "bin", testBin.Parent!.Name, testBin.Name,
            "Bloonio.Relay.SdkExample.dll");
        Assert.That(File.Exists(example), Is.True, example);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(example);
        start.Environment["BASE_URL"] = url;
        start.Environment["TENANT_ID"] = tenant.TenantId.ToString();
        start.Environment["TENANT_SECRET"] = tenant.Secret;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token);

        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(process.ExitCode, Is.EqualTo(0), string.Join('\n', lines) + await errors);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Some.StartsWith("sent #1: What are your opening hours?"));
            Assert.That(lines, Has.Some.StartsWith("bot #2: We are open 9:00-18:00"));
            Assert.That(lines, Has.Some.EqualTo("asked for a human: session waiting"));
            Assert.That(lines, Has.Some.Match(@"^back online; caught up with .*#\d+ system: A message sent while the app was offline"));
            Assert.That(lines.Last(), Is.EqualTo("ok"));
        });
    }
}
