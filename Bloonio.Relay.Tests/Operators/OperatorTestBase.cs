using Bloonio.Relay.Tests.Infrastructure;

namespace Bloonio.Relay.Tests.Operators;

public abstract class OperatorTestBase : TenantTestBase
{
    protected static string NewEmail() => $"op-{Guid.NewGuid():N}@example.com";

    protected Task<ApiResponse> ProvisionAsync(object body, TestTenant? tenant = null, long? timestampMs = null) =>
        Api.SignedAsync(tenant ?? Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator", body, timestampMs);

    protected Task<ApiResponse> FetchTokenAsync(string email, TestTenant? tenant = null) =>
        Api.SignedAsync(tenant ?? Tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email });

    protected Task<ApiResponse> DeprovisionAsync(string email, TestTenant? tenant = null) =>
        Api.SignedAsync(tenant ?? Tenant, HttpMethod.Post, "/api/v1/relay/deprovision/operator", new { email });

    protected static List<string>? Keys(ApiResponse response) =>
        response.Data.GetProperty("routing_keys").ValueKind == System.Text.Json.JsonValueKind.Null
            ? null
            : response.Data.GetProperty("routing_keys").EnumerateArray().Select(k => k.GetString()!).ToList();
}
