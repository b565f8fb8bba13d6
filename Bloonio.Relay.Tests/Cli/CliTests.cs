using System.Diagnostics;
using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Cli;

/// <summary>The real command line (the web project's own executable), against the run's database.</summary>
public sealed class CliTests
{
    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = TestContext.CurrentContext.TestDirectory,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__Relay"] = TestDatabase.ConnectionString,
                ["Relay__MasterKey"] = RelayFactory.MasterKey,
                ["Relay__Jwt__SigningKeys"] = "test=" + RelayFactory.JwtKey,
            },
        };
        start.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "Bloonio.Relay.Web.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    [Test]
    public async Task TenantsCreateListShowSuspendResume()
    {
        var (code, output) = await RunAsync("tenants", "create", "--name", "Cli Co", "--origin", "https://cli.example.com",
            "--origin", "https://*.cli.example.com", "--owner-email", "owner@cli.example.com");
        Assert.That(code, Is.EqualTo(0), output);
        var created = JsonDocument.Parse(output[output.IndexOf('{')..]).RootElement;
        var id = created.GetProperty("tenant_id").GetString()!;
        Assert.That(created.GetProperty("tenant_secret").GetString(), Does.StartWith("bts_"));
        Assert.That(created.GetProperty("configuration").GetProperty("allowed_origins").GetArrayLength(), Is.EqualTo(2));

        (code, output) = await RunAsync("tenants", "list");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain(id));
        Assert.That(output, Does.Not.Contain(created.GetProperty("tenant_secret").GetString()!));

        (code, output) = await RunAsync("tenants", "update", id, "--name", "Cli Company", "--allow-native-clients", "true");
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("\"name\": \"Cli Company\"").And.Contain("\"allow_native_clients\": true"));

        (code, output) = await RunAsync("tenants", "show", id);
        Assert.That(output, Does.Contain("Cli Company").And.Not.Contain("tenant_secret"));

        (code, output) = await RunAsync("tenants", "suspend", id);
        Assert.That(code, Is.EqualTo(0), output);
        Assert.That(output, Does.Contain("\"status\": \"suspended\""));
        (code, output) = await RunAsync("tenants", "resume", id);
        Assert.That(output, Does.Contain("\"status\": \"active\""));
    }

    [Test]
    public async Task InvalidInputNamesTheOptionAndFails()
    {
        var (code, output) = await RunAsync("tenants", "create", "--origin", "not-an-origin");
        Assert.That(code, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("validation_failed").And.Contain("--name").And.Contain("--allowed-origins[0]"));
    }

    [Test]
    public async Task MigrateSucceedsAndAnUnknownCommandPrintsUsage()
    {
        Assert.That((await RunAsync("migrate")).ExitCode, Is.EqualTo(0));
        var (code, output) = await RunAsync("tenants", "frobnicate");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain("usage:"));
    }

    [Test]
    public async Task ProductionRefusesToStartWithoutItsKeysAndSaysWhich()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["ASPNETCORE_ENVIRONMENT"] = "Production", ["ConnectionStrings__Relay"] = TestDatabase.ConnectionString },
        };
        start.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "Bloonio.Relay.Web.dll"));
        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        Assert.That(process.ExitCode, Is.EqualTo(1));
        Assert.That(error, Does.Contain("Relay:MasterKey").And.Contain("Relay:Jwt:SigningKeys"));
    }
}
