using System.Net.Http.Headers;
using Bloonio.Relay.Tests.Hubs;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Http;

/// <summary>
/// The hubs' one door (HubGate): hub requests skip the REST middleware, so the gate alone authenticates them — negotiate
/// and, as checked here, a transport reached without negotiating (a WebSocket straight to the hub).
/// </summary>
public sealed class HubGateTests : HubTestBase
{
    private static Task<System.Net.WebSockets.WebSocket> UpgradeAsync(string hub, string? token)
    {
        var socket = RelayFactory.Shared.Server.CreateWebSocketClient();
        if (token is not null)
        {
            socket.ConfigureRequest = r => r.Headers.Authorization = "Bearer " + token;
        }

        return socket.ConnectAsync(new Uri(RelayFactory.Shared.Server.BaseAddress, $"/hubs/{hub}"), default);
    }

    [Test]
    public async Task AWebSocketStraightToAHubNeedsThatHubsToken()
    {
        var visitor = await OpenSessionAsync();
        var operatorToken = await OperatorTokenAsync(null);
        foreach (var (hub, token, why) in new[]
                 {
                     ("visitor", (string?)null, "no token"),
                     ("visitor", "not.a.token", "not a token"),
                     ("visitor", operatorToken, "an operator token at the visitor hub"),
                     ("operator", visitor.Token, "a visitor token at the operator hub"),
                     ("visitor", visitor.Token[..^4] + "AAAA", "a forged signature"),
                 })
        {
            Assert.That(async () => await UpgradeAsync(hub, token),
                Throws.InstanceOf<InvalidOperationException>().With.Message.Contains("401"), why);
        }

        using var negotiate = new HttpRequestMessage(HttpMethod.Post, "/hubs/operator/negotiate?negotiateVersion=1")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", visitor.Token) },
        };
        var refused = await Api.SendAsync(negotiate);
        refused.ShouldBe(401, "unauthorized");
        Assert.That(refused.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer"));
    }

    [Test]
    public async Task ARevokedOperatorTokenOpensNoTransport()
    {
        var email = $"op-{Guid.NewGuid():N}@example.com";
        var token = await OperatorTokenAsync(null, email: email);
        using (var socket = await UpgradeAsync("operator", token))
        {
            Assert.That(socket.State, Is.EqualTo(System.Net.WebSockets.WebSocketState.Open), "a current token opens the hub");
        }

        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/deprovision/operator", new { email })).ShouldBe(200);
        Assert.That(async () => await UpgradeAsync("operator", token),
            Throws.InstanceOf<InvalidOperationException>().With.Message.Contains("401"), "deprovisioned: the token is refused");
    }

    [Test]
    public async Task AClientThatSkipsNegotiationIsTheTokensVisitor()
    {
        var session = await OpenSessionAsync();
        var server = RelayFactory.Shared.Server;
        await using var connection = new HubConnectionBuilder().WithUrl(new Uri(server.BaseAddress, "/hubs/visitor"), o =>
        {
            o.SkipNegotiation = true;
            o.Transports = HttpTransportType.WebSockets;
            o.WebSocketFactory = async (context, ct) =>
            {
                var client = server.CreateWebSocketClient();
                client.ConfigureRequest = r => r.Headers.Authorization = "Bearer " + session.Token;
                return await client.ConnectAsync(context.Uri, ct);
            };
        }).Build();
        await connection.StartReadyAsync("/hubs/visitor");

        await InvokeAsync(connection, "Send", new { client_message_id = "skip-1", text = "straight in" });
        var history = (await InvokeAsync(connection, "History", new { after_seq = 0 })).EnumerateArray().ToList();
        Assert.That(history.Select(m => m.GetProperty("session_id").GetGuid()).Distinct(), Is.EqualTo(new[] { session.SessionId }),
            "the connection is the token's session");
        Assert.That(history.Select(m => m.GetProperty("text").GetString()), Does.Contain("straight in"));
    }
}
