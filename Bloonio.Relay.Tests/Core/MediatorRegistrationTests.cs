using Bloonio.Relay.Core;
using Bloonio.Relay.Tests.Infrastructure;
using MediatR;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Core;

/// <summary>MediatR 5 only says "handler not found" at run time: every request of Core must resolve one now.</summary>
public sealed class MediatorRegistrationTests
{
    public static IEnumerable<Type> RequestTypes() =>
        typeof(DependencyInjection).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequest<>)));

    [Test]
    public void CoreDefinesRequests() => Assert.That(RequestTypes().Count(), Is.GreaterThanOrEqualTo(9));

    [TestCaseSource(nameof(RequestTypes))]
    public void EveryRequestHasExactlyOneHandler(Type requestType)
    {
        var response = requestType.GetInterfaces().Single(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IRequest<>)).GetGenericArguments()[0];
        var handlerType = typeof(IRequestHandler<,>).MakeGenericType(requestType, response);
        using var scope = RelayFactory.Shared.Services.CreateScope();
        Assert.That(scope.ServiceProvider.GetServices(handlerType).Count(), Is.EqualTo(1), requestType.Name);
    }

    [Test]
    public void ThePipelineRunsLoggingThenTenantAccessThenValidation()
    {
        using var scope = RelayFactory.Shared.Services.CreateScope();
        var behaviors = scope.ServiceProvider.GetServices<IPipelineBehavior<Bloonio.Relay.Core.Tenants.GetTenantQuery, Bloonio.Relay.Core.Tenants.Tenant>>()
            .Select(b => b.GetType().Name.Split('`')[0]);
        Assert.That(behaviors, Is.EqualTo(new[] { "UnhandledExceptionBehavior", "TenantAccessBehavior", "ValidationBehavior" }));
    }
}
