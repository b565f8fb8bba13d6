using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

public sealed record VisitorSession(Guid SessionId, string Token);

/// <summary>Visitors and operators on real hub connections (WebSockets through the test server), disposed after each test.</summary>
public abstract class HubTestBase : TenantTestBase
{
    private readonly List<HubConnection> _connections = [];

    [TearDown]
    public async Task DisposeConnections()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }

        _connections.Clear();
    }

    protected async Task<VisitorSession> OpenSessionAsync(string mode = "human", string? routingKey = null, TestTenant? tenant = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { mode, routing_key = routingKey }, RelayApi.SnakeCase),
                System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Bloonio-Widget-Key", (tenant ?? Tenant).WidgetKey);
        request.Headers.Add("Origin", "https://shop.example.com");
        var data = (await Api.SendAsync(request)).ShouldBe(201).Data;
        return new VisitorSession(Guid.Parse(data.GetProperty("session_id").GetString()!), data.GetProperty("visitor_token").GetString()!);
    }

    protected async Task<string> OperatorTokenAsync(string[]? routingKeys, TestTenant? tenant = null, string? email = null)
    {
        email ??= $"op-{Guid.NewGuid():N}@example.com";
        (await Api.SignedAsync(tenant ?? Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator",
            new { email, display_name = "Op " + email[3..9], routing_keys = routingKeys })).ShouldBe(201);
        return (await Api.SignedAsync(tenant ?? Tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email }))
            .ShouldBe(200).Data.GetProperty("operator_token").GetString()!;
    }

    protected async Task<HubConnection> ConnectAsync(string hubPath, string token,
        HttpTransportType transports = HubConnections.AllTransports, bool messagePack = false)
    {
        var connection = HubConnections.ForTestServer(RelayFactory.Shared.Server, hubPath, token, transports, messagePack);
        _connections.Add(connection);
        await connection.StartReadyAsync(hubPath);
        return connection;
    }

    protected HubConnection Unstarted(string hubPath, string token)
    {
        var connection = HubConnections.ForTestServer(RelayFactory.Shared.Server, hubPath, token);
        _connections.Add(connection);
        return connection;
    }

    protected static Task<JsonElement> InvokeAsync(HubConnection connection, string method, object args) =>
        connection.InvokeAsync<JsonElement>(method, args).WaitAsync(TimeSpan.FromSeconds(10));

    protected static Task<JsonElement> InvokeAsync(HubConnection connection, string method) =>
        connection.InvokeAsync<JsonElement>(method).WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>
    /// The relay's <c>code: message</c>. SignalR puts its own sentence before a HubException's message on the wire
    /// ("An unexpected error occurred invoking 'X' on the server. HubException: "); clients read what follows.
    /// </summary>
    protected static string RelayError(HubException ex)
    {
        const string marker = "HubException: ";
        var at = ex.Message.IndexOf(marker, StringComparison.Ordinal);
        return at < 0 ? ex.Message : ex.Message[(at + marker.Length)..];
    }

    protected static async Task<string> HubErrorAsync(HubConnection connection, string method, object args)
    {
        var ex = Assert.ThrowsAsync<HubException>(async () => await InvokeAsync(connection, method, args))!;
        return RelayError(ex);
    }
}
