using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Core.Tenants;
using Bloonio.Relay.Data.Migrations;
using Bloonio.Relay.Data.Operators;
using Bloonio.Relay.Data.Security;
using Bloonio.Relay.Data.Tenants;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Bloonio.Relay.Data;

public static class DependencyInjection
{
    public static IServiceCollection AddRelayData(this IServiceCollection services, string connectionString)
    {
        services.AddSingleton(_ =>
        {
            var builder = new NpgsqlDataSourceBuilder(connectionString);
            if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
            {
                // The same few statements run all day: prepared once per connection, they skip parsing and planning.
                builder.ConnectionStringBuilder.MaxAutoPrepare = 100;
            }

            return builder.Build();
        });
        services.AddSingleton(new Common.ListenConnections(connectionString));
        services.AddSingleton<MigrationRunner>();
        services.AddSingleton<Tenants.SecretFormatUpgrade>();
        services.AddSingleton<Caching.RelayCaches>();
        services.AddSingleton<Events.EventCommits>();
        services.AddSingleton<Core.Common.IDependencyFailures, Common.PostgresFailures>();
        services.AddSingleton<Core.Brain.IBotReplyStore, Brain.BotReplyStore>();
        services.AddSingleton<Core.Common.IWorkLeases, Common.WorkLeases>();
        services.AddSingleton<Core.Common.IRetentionStore, Sessions.RetentionStore>();
        services.AddSingleton<TenantRepository>();
        services.AddSingleton<ITenantRepository>(p => p.GetRequiredService<TenantRepository>());
        services.AddSingleton<ITenantCredentialStore>(p => p.GetRequiredService<TenantRepository>());
        services.AddSingleton<IOperatorRepository, OperatorRepository>();
        services.AddSingleton<Core.Workspace.IWorkspaceRepository, Workspace.WorkspaceRepository>();
        services.AddSingleton<PostgresReplayCache>();
        services.AddSingleton<Core.Sessions.ISessionRepository, Sessions.SessionRepository>();
        services.AddSingleton<Core.Assignments.IAssignmentRepository, Sessions.AssignmentRepository>();
        services.AddSingleton<Core.Sessions.ISessionTransitions, Sessions.SessionTransitionStore>();
        services.AddSingleton<Core.Events.IEventCursorStore, Events.EventCursorStore>();
        services.AddSingleton<Core.Events.IEventSequencer, Events.EventSequencer>();
        services.AddSingleton<Core.Webhooks.IWebhookStore, Webhooks.WebhookStore>();
        services.AddSingleton<Core.Quotas.IUsageStore, Quotas.UsageStore>();
        services.AddSingleton<Core.Console.IConsoleRepository, Console.ConsoleRepository>();
        services.AddSingleton<Core.Attachments.IAttachmentRepository, Attachments.AttachmentRepository>();
        services.AddSingleton<Attachments.PostgresAttachmentStorage>();
        return services;
    }
}
