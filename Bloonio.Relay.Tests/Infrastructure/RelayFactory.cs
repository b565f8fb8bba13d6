using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>
/// The relay in process, on the run's real PostgreSQL database, with a controllable clock and captured logs.
/// Most tests share one instance (<see cref="Shared"/>); tests that change settings build their own.
/// </summary>
public sealed class RelayFactory(IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    public const string AdminApiKey = "test-admin-key-0123456789";
    public static readonly string MasterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    public static readonly string JwtKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private static readonly Lazy<RelayFactory> SharedInstance = new(() => new RelayFactory());

    public static RelayFactory Shared => SharedInstance.Value;

    public TestClock Clock { get; } = new();

    public LogCapture Logs { get; } = new();

    /// <summary>Serves on Kestrel (a free loopback port) instead of the in-memory test server; returns the base URL.</summary>
    public string StartOnKestrel()
    {
        UseKestrel(0);
        StartServer();
        return Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public static async Task DisposeSharedAsync()
    {
        if (SharedInstance.IsValueCreated)
        {
            await SharedInstance.Value.DisposeAsync();
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Relay"] = TestDatabase.ConnectionString,
            ["Relay:MasterKey"] = MasterKey,
            ["Relay:Jwt:SigningKeys"] = "test=" + JwtKey,
            ["Relay:AdminApiKey"] = AdminApiKey,
            ["Relay:AllowInsecureWebhooks"] = "true",
            ["Relay:MaintenanceIntervalSeconds"] = "0",
            ["Relay:DispatchIntervalSeconds"] = "0",
            ["Relay:WebhookIntervalSeconds"] = "0",
            // Every test signs in from the same address; the per-account limit is the one under test.
            ["Relay:Console:SignInsPerAddressPerMinute"] = "100000",
            ["urls"] = "http://127.0.0.1:0", // tests on Kestrel take any free loopback port, never the relay's 7811
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        foreach (var (key, value) in all)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(collection =>
        {
            collection.RemoveAll<TimeProvider>();
            collection.AddSingleton<TimeProvider>(Clock);
            collection.AddSingleton<ILoggerProvider>(Logs);
            services?.Invoke(collection);
        });
    }
}
