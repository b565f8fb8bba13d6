using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>
/// What an SDK developer gets from the official .NET client without configuring anything: camelCase arguments (its
/// default JSON naming) bind like snake_case ones, MessagePack carries the same contract, and the fallback transports
/// hold a conversation too.
/// </summary>
public sealed class HubProtocolTests : HubTestBase
{
    // What an SDK would declare: ordinary C# records, serialised by the client's defaults (camelCase over JSON,
    // member names over MessagePack, which wants public types).
    public sealed record SendArgs(string ClientMessageId, string Text);

    public sealed record HistoryArgs(int AfterSeq, int? Limit = null);

    public sealed record AssignmentArgs(Guid AssignmentId);

    public sealed record OperatorSendArgs(Guid SessionId, string ClientMessageId, string Text);

    [Test]
    public async Task TheDotNetClientOnDefaultSettingsSendsIdempotentlyAndReadsHistoryAfterASeq()
    {
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);

        var first = await visitor.InvokeAsync<JsonElement>("Send", new SendArgs("sdk-1", "first")).WaitAsync(TimeSpan.FromSeconds(10));
        var again = await visitor.InvokeAsync<JsonElement>("Send", new SendArgs("sdk-1", "first")).WaitAsync(TimeSpan.FromSeconds(10));
        await visitor.InvokeAsync<JsonElement>("Send", new SendArgs("sdk-2", "second")).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(again.GetProperty("message_id").GetGuid(), Is.EqualTo(first.GetProperty("message_id").GetGuid()), "the same client message id");
        Assert.That(again.GetProperty("seq").GetInt32(), Is.EqualTo(1));
        var after = await visitor.InvokeAsync<JsonElement>("History", new HistoryArgs(AfterSeq: 1)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(after.EnumerateArray().Select(m => m.GetProperty("text").GetString()), Is.EqualTo(new[] { "second" }),
            "one stored message per client message id, and afterSeq honoured");
    }

    [Test]
    public async Task AnOperatorOnDefaultSettingsAcceptsAndAnswersWithCamelCaseArguments()
    {
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var toVisitor = HubEvents<JsonElement>.On(visitor, "message");
        await visitor.InvokeAsync<JsonElement>("Send", new SendArgs("v1", "hello")).WaitAsync(TimeSpan.FromSeconds(10));

        var assignmentId = (await offers.NextAsync()).GetProperty("assignment_id").GetGuid();
        var accepted = await op.InvokeAsync<JsonElement>("Accept", new AssignmentArgs(assignmentId)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(accepted.GetProperty("session").GetProperty("session_id").GetGuid(), Is.EqualTo(session.SessionId));
        await op.InvokeAsync<JsonElement>("Send", new OperatorSendArgs(session.SessionId, "o1", "hi there")).WaitAsync(TimeSpan.FromSeconds(10));
        await op.InvokeAsync<JsonElement>("Send", new OperatorSendArgs(session.SessionId, "o1", "hi there")).WaitAsync(TimeSpan.FromSeconds(10));

        var reply = await toVisitor.WaitForAsync(m => m.GetProperty("sender").GetProperty("type").GetString() == "operator");
        Assert.That(reply.GetProperty("text").GetString(), Is.EqualTo("hi there"));
        var history = await visitor.InvokeAsync<JsonElement>("History", new HistoryArgs(0)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(history.EnumerateArray().Count(m => m.GetProperty("sender").GetProperty("type").GetString() == "operator"), Is.EqualTo(1));
    }

    [Test]
    public async Task MessagePackCarriesTheSameContract()
    {
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token, messagePack: true);
        var messages = HubEvents<Dictionary<string, object?>>.On(visitor, "message");
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null), messagePack: true);
        var offers = HubEvents<Dictionary<string, object?>>.On(op, "assignment_waiting");

        // A record (PascalCase keys), then snake_case keys: both bind, and the second is the same message.
        var ack = await visitor.InvokeAsync<Dictionary<string, object?>>("Send", new SendArgs("mp-1", "over MessagePack"))
            .WaitAsync(TimeSpan.FromSeconds(10));
        var again = await visitor.InvokeAsync<Dictionary<string, object?>>("Send", new { client_message_id = "mp-1", text = "over MessagePack" })
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(again["message_id"], Is.EqualTo(ack["message_id"]));
        Assert.That(Convert.ToInt32(ack["seq"]), Is.EqualTo(1));
        Assert.That(ack["created_at"], Is.TypeOf<string>().And.EndsWith("Z"), "times as in JSON");

        var offer = await offers.NextAsync();
        Assert.That(offer["session_id"], Is.EqualTo(session.SessionId.ToString()));
        await op.InvokeAsync<Dictionary<string, object?>>("Accept", new AssignmentArgs(Guid.Parse((string)offer["assignment_id"]!)))
            .WaitAsync(TimeSpan.FromSeconds(10));
        await op.InvokeAsync<Dictionary<string, object?>>("Send", new OperatorSendArgs(session.SessionId, "op-1", "answered"))
            .WaitAsync(TimeSpan.FromSeconds(10));
        var reply = await messages.WaitForAsync(m => m["client_message_id"] as string == "op-1");
        Assert.That(reply["text"], Is.EqualTo("answered"));
        Assert.That(((Dictionary<object, object?>)reply["sender"]!)["type"], Is.EqualTo("operator"));

        var history = await visitor.InvokeAsync<List<Dictionary<string, object?>>>("History", new HistoryArgs(1)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(history.Select(m => Convert.ToInt32(m["seq"])), Is.EqualTo(new[] { 2 }));
    }

    [TestCase(HttpTransportType.LongPolling)]
    [TestCase(HttpTransportType.ServerSentEvents)]
    public async Task AConversationHoldsOverAFallbackTransport(HttpTransportType transport)
    {
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null), transport);
        var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        var toOperator = HubEvents<JsonElement>.On(op, "message");
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token, transport);
        var toVisitor = HubEvents<JsonElement>.On(visitor, "message");

        await InvokeAsync(visitor, "Send", new { client_message_id = "t1", text = $"over {transport}" });
        await InvokeAsync(op, "Accept", new { assignment_id = (await offers.NextAsync()).GetProperty("assignment_id").GetGuid() });
        await InvokeAsync(op, "Send", new { session_id = session.SessionId, client_message_id = "t2", text = "answer" });
        await InvokeAsync(visitor, "Send", new { client_message_id = "t3", text = "thanks" });

        Assert.That((await toVisitor.WaitForAsync(m => m.GetProperty("seq").GetInt32() == 2)).GetProperty("text").GetString(), Is.EqualTo("answer"));
        Assert.That((await toOperator.WaitForAsync(m => m.GetProperty("seq").GetInt32() == 3)).GetProperty("text").GetString(), Is.EqualTo("thanks"));
    }
}
