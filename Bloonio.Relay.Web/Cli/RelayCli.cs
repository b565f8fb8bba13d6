using System.Text.Json;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Tenants;
using Bloonio.Relay.Data.Migrations;
using Bloonio.Relay.Web.Http;
using MediatR;

namespace Bloonio.Relay.Web.Cli;

/// <summary>
/// SPEC 12's command line: <c>migrate</c>, <c>tenants create|list|show|suspend|resume</c>. It sends the same MediatR
/// requests as the admin API, so rules and audit entries are the same.
/// </summary>
public static class RelayCli
{
    private static readonly string[] Verbs = ["migrate", "tenants"];

    public const string Usage = """
        usage:
          migrate
          tenants create --name NAME [--origin URL]... [--owner-email EMAIL] [--webhook-url URL]
          tenants list
          tenants show TENANT_ID
          tenants update TENANT_ID [--name NAME] [--origin URL]... [--webhook-url URL|""] [--allow-native-clients true|false]
          tenants rotate-secret TENANT_ID [--grace-seconds N]
          tenants rotate-widget-key TENANT_ID [--grace-seconds N]
          tenants suspend TENANT_ID
          tenants resume TENANT_ID
        """;

    /// <summary>CLI words go to the CLI; everything else (e.g. --environment) to the host's configuration.</summary>
    public static (string[]? Cli, string[] Host) Split(string[] args) =>
        args.Length > 0 && Verbs.Contains(args[0]) ? (args, []) : (null, args);

    public static async Task<int> RunAsync(WebApplication app, string[] args, TextWriter output)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var provider = scope.ServiceProvider;
        provider.GetRequiredService<CallerContext>().Actor = "cli";
        try
        {
            await provider.GetRequiredService<MigrationRunner>().RunAsync(CancellationToken.None);
            await provider.GetRequiredService<Bloonio.Relay.Data.Tenants.SecretFormatUpgrade>().RunAsync(CancellationToken.None);
            var mediator = provider.GetRequiredService<IMediator>();
            object? result = args switch
            {
                ["migrate"] => new { migrated = true },
                ["tenants", "create", .. var rest] => await mediator.Send(new CreateTenantCommand(
                    Option(rest, "--name"), Options(rest, "--origin"), Option(rest, "--webhook-url"), Option(rest, "--owner-email"), null)),
                ["tenants", "list"] => await mediator.Send(new ListTenantsQuery(null, 500)),
                ["tenants", "show", var id] => await mediator.Send(new GetTenantQuery(ParseId(id))),
                ["tenants", "update", var id, .. var rest] => await mediator.Send(new UpdateTenantCommand(ParseId(id), new TenantPatch(
                    Name: Option(rest, "--name"),
                    AllowedOrigins: Options(rest, "--origin") is { Count: > 0 } origins ? origins : null,
                    AllowNativeClients: Option(rest, "--allow-native-clients") is { } native ? ParseBool(native) : null,
                    WebhookUrl: Option(rest, "--webhook-url")), AllowQuotas: true)),
                ["tenants", "rotate-secret", var id, .. var rest] => await mediator.Send(new RotateKeyCommand(ParseId(id), KeyKinds.TenantSecret, Grace(rest))),
                ["tenants", "rotate-widget-key", var id, .. var rest] => await mediator.Send(new RotateKeyCommand(ParseId(id), KeyKinds.WidgetKey, Grace(rest))),
                ["tenants", "suspend", var id] => await mediator.Send(new SetTenantStatusCommand(ParseId(id), TenantStatuses.Suspended)),
                ["tenants", "resume", var id] => await mediator.Send(new SetTenantStatusCommand(ParseId(id), TenantStatuses.Active)),
                _ => null,
            };

            if (result is null)
            {
                await output.WriteLineAsync(Usage);
                return 2;
            }

            await output.WriteLineAsync(JsonSerializer.Serialize(result, new JsonSerializerOptions(RelayJson.Options) { WriteIndented = true }));
            return 0;
        }
        catch (RelayException ex)
        {
            await output.WriteLineAsync($"error: {ex.ErrorCode}: {ex.Message}");
            var errors = ex switch
            {
                ValidationFailedException v => v.Errors,
                BadRequestException b => b.Errors,
                _ => [],
            };
            foreach (var error in errors)
            {
                await output.WriteLineAsync($"  --{error.Field.Replace('_', '-')}: {error.Message}");
            }

            return 1;
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static List<string?> Options(string[] args, string name) =>
        args.Select((a, i) => (a, i)).Where(x => x.a == name && x.i + 1 < args.Length).Select(x => (string?)args[x.i + 1]).ToList();

    private static int? Grace(string[] args) => Option(args, "--grace-seconds") is { } value
        ? int.TryParse(value, out var seconds) ? seconds : throw new BadRequestException("--grace-seconds takes a number of seconds",
            [new FieldError("grace_seconds", "must be a whole number")])
        : null;

    private static bool ParseBool(string value) => bool.TryParse(value, out var b)
        ? b
        : throw new BadRequestException("--allow-native-clients takes true or false", [new FieldError("allow_native_clients", "must be true or false")]);

    private static Guid ParseId(string id) => Guid.TryParse(id, out var g)
        ? g
        : throw new BadRequestException("TENANT_ID must be a UUID", [new FieldError("tenant_id", "must be a UUID")]);
}
