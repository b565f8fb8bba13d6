using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Data.Security;
using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Auth;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Security;

/// <summary>Both implementations of the replay cache obey one contract.</summary>
public sealed class ReplayCacheTests
{
    public static IEnumerable<string> Kinds() => ["postgres", "memory"];

    private static (IReplayCache Cache, TestClock Clock) Create(string kind)
    {
        var clock = new TestClock();
        return kind == "memory"
            ? (new InMemoryReplayCache(clock), clock)
            : (new PostgresReplayCache(RelayFactory.Shared.Services.GetRequiredService<Npgsql.NpgsqlDataSource>(), clock), clock);
    }

    [TestCaseSource(nameof(Kinds))]
    public async Task ADigestIsAcceptedOncePerTenant(string kind)
    {
        var (cache, clock) = Create(kind);
        var digest = Guid.NewGuid().ToByteArray();
        var expires = clock.GetUtcNow().AddMinutes(5);
        Guid tenantA = Guid.NewGuid(), tenantB = Guid.NewGuid();
        Assert.That(await cache.TryRememberAsync(tenantA, digest, expires, default), Is.True);
        Assert.That(await cache.TryRememberAsync(tenantA, digest, expires, default), Is.False);
        Assert.That(await cache.TryRememberAsync(tenantB, digest, expires, default), Is.True);
    }

    [TestCaseSource(nameof(Kinds))]
    public async Task AnExpiredEntryNoLongerBlocks(string kind)
    {
        var (cache, clock) = Create(kind);
        var digest = Guid.NewGuid().ToByteArray();
        var tenant = Guid.NewGuid();
        var now = clock.Freeze();
        Assert.That(await cache.TryRememberAsync(tenant, digest, now.AddMinutes(5), default), Is.True);
        clock.Set(now.AddMinutes(6));
        Assert.That(await cache.TryRememberAsync(tenant, digest, now.AddMinutes(11), default), Is.True);
        Assert.That(await cache.TryRememberAsync(tenant, digest, now.AddMinutes(11), default), Is.False);
    }

    [TestCaseSource(nameof(Kinds))]
    public async Task ConcurrentAttemptsAdmitExactlyOne(string kind)
    {
        var (cache, clock) = Create(kind);
        var digest = Guid.NewGuid().ToByteArray();
        var tenant = Guid.NewGuid();
        var results = await Task.WhenAll(Enumerable.Range(0, 16)
            .Select(_ => Task.Run(() => cache.TryRememberAsync(tenant, digest, clock.GetUtcNow().AddMinutes(5), default))));
        Assert.That(results.Count(r => r), Is.EqualTo(1));
    }
}
