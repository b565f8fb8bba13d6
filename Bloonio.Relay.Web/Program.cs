using Bloonio.Relay.Data.Migrations;
using Bloonio.Relay.Web.Cli;
using Bloonio.Relay.Web.Hosting;

var (cli, hostArgs) = RelayCli.Split(args);
var builder = WebApplication.CreateBuilder(hostArgs);
try
{
    builder.AddRelay();
}
catch (RelayConfigurationException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 1;
}

var app = builder.Build();
if (cli is not null)
{
    return await RelayCli.RunAsync(app, cli, Console.Out);
}

await app.Services.GetRequiredService<MigrationRunner>().RunAsync(app.Lifetime.ApplicationStopping);
await app.Services.GetRequiredService<Bloonio.Relay.Data.Tenants.SecretFormatUpgrade>().RunAsync(app.Lifetime.ApplicationStopping);
await Bloonio.Relay.Web.Hosting.DataProtectionKeys.ReEncryptAsync(app.Services, app.Lifetime.ApplicationStopping);
app.Logger.LogInformation("Brain: {Brain}", app.Services.GetRequiredService<Bloonio.Relay.Core.Brain.IBrain>().Name);
app.UseRelay();
if (app.Environment.IsDevelopment())
{
    await DevelopmentSeeder.SeedAsync(app.Services, app.Lifetime.ApplicationStopping);
}

await app.RunAsync();
return 0;

/// <summary>The entry point, visible to WebApplicationFactory.</summary>
public partial class Program;
