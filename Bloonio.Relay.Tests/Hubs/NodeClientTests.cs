using System.Diagnostics;
using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>
/// The relay on Kestrel (loopback) driven by the official SignalR JavaScript client from npm, under Node: negotiate,
/// WebSockets, a conversation, reconnect and History, and a hub error as a browser sees it.
/// </summary>
[NonParallelizable]
public sealed class NodeClientTests
{
    [Test]
    public async Task TheJavaScriptClientHoldsAConversation()
    {
        var script = Path.Combine(TestContext.CurrentContext.TestDirectory, "..", "..", "..", "Node", "e2e.mjs");
        Assert.That(Directory.Exists(Path.Combine(Path.GetDirectoryName(script)!, "node_modules", "@microsoft", "signalr")), Is.True,
            "run `npm ci` in Bloonio.Relay.Tests/Node (scripts/test.sh does)");

        await using var relay = new RelayFactory();
        var url = relay.StartOnKestrel();
        var api = new RelayApi(relay);
        var tenant = await api.CreateTenantAsync();
        var email = $"js-{Guid.NewGuid():N}@example.com";
        (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/provision/operator", new { email, display_name = "JS Operator" })).ShouldBe(201);
        var operatorToken = (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email }))
            .ShouldBe(200).Data.GetProperty("operator_token").GetString()!;
        var session = (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = "js-user", mode = "human" })).ShouldBe(200).Data;

        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.Environment["RELAY_URL"] = url;
        start.Environment["VISITOR_TOKEN"] = session.GetProperty("visitor_token").GetString();
        start.Environment["OPERATOR_TOKEN"] = operatorToken;
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.That(node.ExitCode, Is.EqualTo(0), await errors);

        var result = JsonDocument.Parse((await output).Trim().Split('\n').Last()).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("ack_seq").GetInt32(), Is.EqualTo(1));
            Assert.That(result.GetProperty("accepted_session").GetString(), Is.EqualTo(session.GetProperty("session_id").GetString()));
            Assert.That(result.GetProperty("received_text").GetString(), Is.EqualTo("Hello from the JS operator"));
            Assert.That(result.GetProperty("history_seqs").EnumerateArray().Select(s => s.GetInt32()), Is.EqualTo(new[] { 1, 2 }));
            Assert.That(result.GetProperty("second_accept_error").GetString(), Does.Contain("HubException: already_assigned:"));
        });
    }
}

/// <summary>The .NET client (the in-app SDK's) over a real socket: the relay on Kestrel, loopback.</summary>
[NonParallelizable]
public sealed class KestrelHubTests
{
    [Test]
    public async Task TheDotNetClientTalksToTheRelayOnKestrel()
    {
        await using var relay = new RelayFactory();
        var url = new Uri(relay.StartOnKestrel());
        var api = new RelayApi(relay);
        var tenant = await api.CreateTenantAsync();
        var token = (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token", new { external_user_id = "sdk-user", mode = "human" }))
            .ShouldBe(200).Data.GetProperty("visitor_token").GetString();

        await using var visitor = HubConnections.ForUrl(url, "/hubs/visitor", token);
        await visitor.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var ack = await Microsoft.AspNetCore.SignalR.Client.HubConnectionExtensions
            .InvokeAsync<JsonElement>(visitor, "Send", new { client_message_id = "k", text = "over a real socket" }).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(ack.GetProperty("seq").GetInt32(), Is.EqualTo(1));
    }
}
