using NUnit.Framework;

namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>A fresh tenant for every test on the shared relay, so tests never share data and need no cleanup.</summary>
public abstract class TenantTestBase
{
    protected RelayApi Api { get; private set; } = null!;
    protected TestTenant Tenant { get; private set; } = null!;

    [SetUp]
    public async Task CreateTenant()
    {
        Api = new RelayApi(RelayFactory.Shared);
        Tenant = await Api.CreateTenantAsync();
    }
}
