using NUnit.Framework;

namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>
/// A relay of the test's own (started for each test, disposed after) with a fresh tenant: for tests that move the
/// clock, change settings or restart the node, which must not touch the shared relay.
/// </summary>
public abstract class OwnRelayTestBase
{
    protected RelayFactory Relay { get; set; } = null!;
    protected RelayApi Api { get; set; } = null!;
    protected TestTenant Tenant { get; private set; } = null!;

    [SetUp]
    public async Task StartOwnRelayAsync()
    {
        Relay = new RelayFactory();
        Api = new RelayApi(Relay);
        Tenant = await Api.CreateTenantAsync();
    }

    [TearDown]
    public Task StopOwnRelayAsync() => Relay.DisposeAsync().AsTask();
}
