using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Common.Behaviors;
using Bloonio.Relay.Core.Security;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Bloonio.Relay.Core;

public static class DependencyInjection
{
    /// <summary>
    /// MediatR 5 has no DI package: the mediator, every handler of this assembly, its validators and the pipeline
    /// (logging → tenant access → validation, in that order) are registered here.
    /// </summary>
    public static IServiceCollection AddRelayCore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddScoped<ServiceFactory>(p => p.GetService);
        services.AddScoped<IMediator, Mediator>();

        foreach (var (service, implementation) in RequestHandlerTypes())
        {
            services.AddTransient(service, implementation);
        }

        // Validators hold no state: one instance each, found by FluentValidation's own scanner.
        services.AddValidatorsFromAssembly(typeof(DependencyInjection).Assembly, ServiceLifetime.Singleton);

        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(UnhandledExceptionBehavior<,>));
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(TenantAccessBehavior<,>));
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(ValidationBehavior<,>));

        services.AddScoped<CallerContext>();
        services.AddScoped<ICallerContext>(p => p.GetRequiredService<CallerContext>());
        services.AddScoped<Hmac1Authenticator>();
        services.AddScoped<Sessions.WidgetGate>();
        services.AddScoped<Assignments.OperatorAccess>();
        services.AddScoped<Assignments.QueueNotifications>();
        services.AddSingleton<Quotas.MonthlyMessageGate>();
        services.AddSingleton<WebhookFailures>();
        services.AddSingleton<BrainFailures>();
        return services;
    }

    /// <summary>Every (IRequestHandler&lt;,&gt;, handler) pair in Core; tests check each request has one.</summary>
    public static IEnumerable<(Type Service, Type Implementation)> RequestHandlerTypes() =>
        from type in typeof(DependencyInjection).Assembly.GetTypes()
        where type is { IsClass: true, IsAbstract: false, IsGenericTypeDefinition: false }
        from service in type.GetInterfaces()
        where service.IsGenericType && service.GetGenericTypeDefinition() == typeof(IRequestHandler<,>)
        select (service, type);
}
