using Bloonio.Relay.Core;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Data;
using Bloonio.Relay.Data.Security;
using Bloonio.Relay.Web.Auth;
using Bloonio.Relay.Web.Configuration;
using Bloonio.Relay.Web.ConsolePages;
using Bloonio.Relay.Web.Observability;
using Bloonio.Relay.Web.Scaling;
using Bloonio.Relay.Core.Brain;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Web.Brain;
using Bloonio.Relay.Web.Http;
using Bloonio.Relay.Web.Hubs;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Web.Hosting;

public static class RelayWebServices
{
    public const int DefaultPort = 7811;

    /// <summary>Configuration, checks and every service of the relay; the pipeline is <see cref="RelayPipeline"/>.</summary>
    public static WebApplicationBuilder AddRelay(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (builder.Environment.IsDevelopment())
        {
            var (path, created) = DevelopmentKeys.Apply(configuration);
            DevelopmentKeysFile = (path, created);
        }

        if (RequiredSettings.Missing(configuration) is { Count: > 0 } missing)
        {
            throw new RelayConfigurationException(missing);
        }

        builder.AddRelayObservability();

        if (string.IsNullOrEmpty(configuration["urls"]) && string.IsNullOrEmpty(configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls($"http://0.0.0.0:{DefaultPort}");
        }

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = ApiBodyMiddleware.MaxBodyBytes);

        // "Request starting …" lines carry the full URL, and hub URLs carry access_token: never below Warning, whatever
        // the configured levels (code rules are added after configuration rules, so they win).
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        var services = builder.Services;
        services.AddOptions<RelayOptions>().Bind(configuration.GetSection(RelayOptions.Section));
        services.AddOptions<RelayCoreOptions>().Configure<IOptions<RelayOptions>>((core, relay) =>
        {
            core.AllowInsecureWebhooks = relay.Value.AllowInsecureWebhooks;
            core.PublicPathBase = relay.Value.PublicPathBase.TrimEnd('/');
            core.EscalateOnBrainFailure = relay.Value.Brain.EscalateOnFailure;
            core.AbandonAfter = TimeSpan.FromSeconds(relay.Value.AbandonAfterSeconds);
            core.JournalRetention = TimeSpan.FromDays(relay.Value.JournalRetentionDays);
            core.BotReplyDeadline = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Relay:Bot:ReplyDeadlineSeconds", 15)));
            core.ConsoleSignInsPerAccount = Math.Max(1, configuration.GetValue("Relay:Console:SignInsPerAccountPerMinute", 5));
            core.ConsoleSignInsPerAddress = Math.Max(1, configuration.GetValue("Relay:Console:SignInsPerAddressPerMinute", 20));
        });

        services.AddRelayCore();
        services.AddOptions<Core.Quotas.QuotaDefaults>().Bind(configuration.GetSection("Relay:Quotas"));
        services.AddSingleton<DependencyOutages>();
        services.AddRelayForwardedHeaders(configuration);
        services.AddRelayDataProtection();
        services.AddSingleton<Readiness>();
        services.AddSingleton<NodeDrain>();
        services.AddSingleton<Core.Quotas.IRateLimiter, Core.Quotas.InMemoryRateLimiter>();
        services.AddRelayData(configuration.GetConnectionString("Relay")!);
        JwtKeyRing.TryParse(configuration.GetSection("Relay:Jwt"), out var keyRing);
        services.AddSingleton(keyRing);
        services.AddSingleton<ISecretProtector>(new AesGcmSecretProtector(Convert.FromBase64String(configuration["Relay:MasterKey"]!.Trim()),
            (configuration["Relay:PreviousMasterKeys"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Convert.FromBase64String).ToList()));
        services.AddSingleton<RelayTokenFactory>();
        services.AddSingleton<IOperatorTokenIssuer, JwtOperatorTokenIssuer>();
        services.AddSingleton<OperatorTokenValidator>();
        services.AddSingleton<IPasswordHasher, AspNetPasswordHasher>();
        services.AddSingleton<InMemoryReplayCache>();
        services.AddSingleton<IReplayCache>(p => p.GetRequiredService<IOptions<RelayOptions>>().Value.ReplayCache == "memory"
            ? p.GetRequiredService<InMemoryReplayCache>()
            : p.GetRequiredService<PostgresReplayCache>());
        services.AddSingleton<OperatorConnections>();
        services.AddSingleton<RelayMaintenance>();
        services.AddSingleton<NotificationState>();
        services.AddSingleton<EventDispatcher>();
        services.AddHostedService(p => p.GetRequiredService<EventDispatcher>());
        services.AddSingleton<EventSequencing>();
        services.AddHostedService(p => p.GetRequiredService<EventSequencing>());
        services.AddSingleton<PostgresListener>();
        services.AddHostedService(p => p.GetRequiredService<PostgresListener>());
        services.AddTransient<Core.Events.IEventConsumer, Core.Webhooks.WebhookFanOut>();
        services.AddTransient<Core.Events.IEventConsumer, Core.Quotas.UsageConsumer>();
        services.AddSingleton<Core.Webhooks.IWebhookSender, Webhooks.WebhookSender>();
        services.AddSingleton<Webhooks.WebhookWorker>();
        services.AddHostedService(p => p.GetRequiredService<Webhooks.WebhookWorker>());
        services.AddHostedService(p => p.GetRequiredService<RelayMaintenance>());
        services.AddSingleton<IOperatorPresence>(p => p.GetRequiredService<OperatorConnections>());
        services.AddSingleton<VisitorConnections>();
        services.AddSingleton<IOperatorMembershipListener>(p => p.GetRequiredService<Scaling.ClusterMembershipListener>());
        services.AddSingleton<Core.Tenants.ITenantStatusListener>(p => p.GetRequiredService<Scaling.ClusterMembershipListener>());
        services.AddSingleton<IVisitorTokenIssuer, VisitorTokenIssuer>();
        services.AddSingleton<IRelayNotifier, SignalRRelayNotifier>();
        services.AddSingleton<BotLaneWorker>();
        services.AddSingleton<IBotLane>(p => p.GetRequiredService<BotLaneWorker>());
        services.AddHostedService(p => p.GetRequiredService<BotLaneWorker>());
        // Tickets for escalations left without one (a brain that was down) and for offline messages, whatever the brain.
        services.AddTransient<Core.Events.IEventConsumer, Core.Brain.TicketConsumer>();
        if (string.IsNullOrWhiteSpace(configuration["Relay:Brain:BaseUrl"]))
        {
            services.AddSingleton<IBrain, DevelopmentBrain>();
        }
        else
        {
            // The development brain keeps no transcript: only a real brain has a persistence feed to read.
            services.AddTransient<Core.Events.IEventConsumer, BrainPersistenceConsumer>();
            services.AddSingleton<BrainCircuit>();
            services.AddTransient<BrainSigningHandler>();
            var brainClient = services.AddHttpClient<IBrain, HttpBrain>(c =>
            {
                c.BaseAddress = new Uri(configuration["Relay:Brain:BaseUrl"]!.TrimEnd('/') + "/");
                c.Timeout = Timeout.InfiniteTimeSpan; // the resilience pipeline's per-attempt time-out, and the caller's deadline
            });
            brainClient.AddResilienceHandler("brain", (builder, context) => context.ServiceProvider.GetRequiredService<BrainCircuit>()
                .Configure(builder, context.ServiceProvider.GetRequiredService<IOptions<RelayOptions>>().Value.Brain));
            brainClient.AddHttpMessageHandler<BrainSigningHandler>(); // inside the pipeline: each attempt signed when it is sent
        }
        AddAttachments(services, configuration);
        services.AddHubAuthentication();
        services.AddAuthorization();
        services.AddSignalR(o =>
            {
                o.MaximumReceiveMessageSize = 32 * 1024;
                o.AddFilter<HubErrorFilter>(); // outermost: maps what the filters inside it throw
                o.AddFilter<OperatorTokenFilter>();
            })
            .AddJsonProtocol(o => HubJson.Configure(o.PayloadSerializerOptions))
            .AddMessagePackProtocol(o => o.SerializerOptions = HubMessagePack.Options)
            .AddRelayScaleOut(configuration["Relay:Redis"]);

        services.AddConsoleAuth();
        services.AddControllersWithViews(o => o.Filters.Add(new ModelBindingFailureFilter()))
            .AddJsonOptions(o =>
            {
                RelayJson.Configure(o.JsonSerializerOptions);
                o.AllowInputFormatterExceptionMessages = false;
            })
            .ConfigureApiBehaviorOptions(o => o.SuppressModelStateInvalidFilter = true);
        services.AddExceptionHandler<RelayExceptionHandler>();
        services.AddProblemDetails();
        services.AddRelayOpenApi();
        return builder;
    }

    internal static (string Path, bool Created)? DevelopmentKeysFile { get; private set; }

    /// <summary>Attachments (docs/attachments.md): bytes in PostgreSQL, images through SkiaSharp, the scanning hook.</summary>
    private static void AddAttachments(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<Core.Attachments.AttachmentOptions>().Bind(configuration.GetSection("Relay:Attachments"));
        services.AddSingleton<Attachments.AttachmentLinks>();
        services.AddSingleton<Core.Attachments.IImageProcessor, Attachments.SkiaImageProcessor>();
        if (configuration["Relay:Attachments:Storage"] is "s3")
        {
            var s3 = configuration.GetSection("Relay:Attachments:S3").Get<Attachments.S3StorageOptions>() ?? new Attachments.S3StorageOptions();
            if (new[] { s3.ServiceUrl, s3.Bucket, s3.AccessKey, s3.SecretKey }.Any(string.IsNullOrWhiteSpace))
            {
                throw new RelayConfigurationException(["Relay:Attachments:S3:ServiceUrl, Bucket, AccessKey and SecretKey (Relay:Attachments:Storage is s3)"]);
            }

            services.AddSingleton<Core.Attachments.IAttachmentStorage>(p =>
                new Attachments.S3AttachmentStorage(s3, p.GetRequiredService<ILogger<Attachments.S3AttachmentStorage>>()));
        }
        else
        {
            services.AddSingleton<Core.Attachments.IAttachmentStorage>(p => p.GetRequiredService<Data.Attachments.PostgresAttachmentStorage>());
        }
        services.AddScoped<Core.Attachments.AttachmentAccess>();
        services.AddScoped<Core.Attachments.MessageAttachments>();
        services.AddScoped<Core.Attachments.AttachmentRetention>();
        if (configuration["Relay:Attachments:ScanCommand"] is { Length: > 0 } command)
        {
            services.AddSingleton<Core.Attachments.IAttachmentScanner>(p =>
                new Attachments.CommandScanner(command, p.GetRequiredService<ILogger<Attachments.CommandScanner>>()));
        }
        else
        {
            services.AddSingleton<Core.Attachments.IAttachmentScanner, Core.Attachments.AcceptingScanner>();
        }
    }
}

public sealed class RelayConfigurationException(IReadOnlyList<string> missing)
    : Exception("The relay cannot start; missing or invalid configuration:\n  - " + string.Join("\n  - ", missing));
