using System.Text.Json;
using Bloonio.Relay.Tests.Hubs;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Workspace;

/// <summary>
/// The operators' workspace over REST and the operator hub, on the real database: finding a closed conversation by a word
/// it contained, canned responses with variables, notes the visitor never sees, tags and filters, teammates, collision.
/// </summary>
public sealed class WorkspaceTests : HubTestBase
{
    private async Task<(VisitorSession Session, HubConnection Visitor, HubConnection Operator, Guid AssignmentId)> AcceptedAsync(
        string routingKey, string firstMessage, string? operatorToken = null)
    {
        var session = await OpenSessionAsync("human", routingKey);
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var op = await ConnectAsync("/hubs/operator", operatorToken ?? await OperatorTokenAsync([routingKey]));
        using var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        await InvokeAsync(visitor, "Send", new { client_message_id = "first", text = firstMessage });
        var offer = await offers.WaitForAsync(o => o.GetProperty("session_id").GetGuid() == session.SessionId);
        var assignmentId = offer.GetProperty("assignment_id").GetGuid();
        await InvokeAsync(op, "Accept", new { assignment_id = assignmentId });
        return (session, visitor, op, assignmentId);
    }

    [Test]
    public async Task AClosedConversationIsFoundByAWordItContainedWithTheHitMarked()
    {
        var (session, visitor, op, assignmentId) = await AcceptedAsync("search", "My parcel <b>zanzibar</b> never arrived");
        await InvokeAsync(op, "Close", new { assignment_id = assignmentId, resolution = "refunded" });
        await AcceptedAsync("search", "Something else entirely");

        var found = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/sessions?status=closed&q=zanzibar")).ShouldBe(200).Data;
        var item = found.GetProperty("items").EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That(item.GetProperty("session_id").GetGuid(), Is.EqualTo(session.SessionId));
            Assert.That(item.GetProperty("snippet").GetString(), Does.Contain("<mark>zanzibar</mark>").And.Not.Contain("<b>"),
                "the hit marked; the visitor's markup never comes out as markup");
            Assert.That(item.GetProperty("preview").GetString(), Does.StartWith("My parcel"));
        });

        // The operator's hub finds it too; one restricted to another queue does not.
        var mine = await InvokeAsync(op, "ListConversations", new { q = "zanzibar" });
        Assert.That(mine.GetProperty("items").GetArrayLength(), Is.EqualTo(1));
        var stranger = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(["elsewhere"]));
        var hidden = await InvokeAsync(stranger, "ListConversations", new { q = "zanzibar" });
        Assert.That(hidden.GetProperty("items").GetArrayLength(), Is.Zero);
        var refused = Assert.ThrowsAsync<HubException>(() => InvokeAsync(stranger, "GetConversation", new { session_id = session.SessionId }))!;
        Assert.That(RelayError(refused), Does.StartWith("session_not_found:"));

        var detail = await InvokeAsync(op, "GetConversation", new { session_id = session.SessionId });
        Assert.That(detail.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()), Has.Some.Contains("zanzibar"));
        Assert.That(detail.GetProperty("assignments").EnumerateArray().Single().GetProperty("status").GetString(), Is.EqualTo("closed"));
    }

    [Test]
    public async Task ConversationsArePagedByCursorAndBadFiltersAre422()
    {
        for (var i = 0; i < 3; i++)
        {
            await OpenSessionAsync("human", "paged");
        }

        var first = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/sessions?routing_key=paged&limit=2")).ShouldBe(200).Data;
        Assert.That(first.GetProperty("items").GetArrayLength(), Is.EqualTo(2));
        var cursor = first.GetProperty("next_cursor").GetString();
        var second = (await Api.SignedAsync(Tenant, HttpMethod.Get, $"/api/v1/relay/sessions?routing_key=paged&limit=2&cursor={cursor}")).ShouldBe(200).Data;
        Assert.That(second.GetProperty("items").GetArrayLength(), Is.EqualTo(1));
        Assert.That(second.GetProperty("next_cursor").ValueKind, Is.EqualTo(JsonValueKind.Null));
        var ids = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).Select(i => i.GetProperty("session_id").GetGuid());
        Assert.That(ids.Distinct().Count(), Is.EqualTo(3));

        foreach (var bad in new[] { "status=gone", "cursor=nope", "tag=Bad%20Tag", "limit=1000" })
        {
            (await Api.SignedAsync(Tenant, HttpMethod.Get, $"/api/v1/relay/sessions?{bad}")).ShouldBe(422, "validation_failed");
        }
    }

    [Test]
    public async Task ANoteReachesOperatorsAndTheFeedButNeverTheVisitor()
    {
        var (session, visitor, op, _) = await AcceptedAsync("notes", "Hello");
        using var visitorMessages = HubEvents<JsonElement>.On(visitor, "message");
        using var visitorNotes = HubEvents<JsonElement>.On(visitor, "note");
        using var operatorNotes = HubEvents<JsonElement>.On(op, "note");

        var note = await InvokeAsync(op, "AddNote", new { session_id = session.SessionId, text = "VIP customer,\nbe gentle" });
        Assert.That(note.GetProperty("after_seq").GetInt32(), Is.GreaterThanOrEqualTo(1));
        await operatorNotes.WaitForAsync(n => n.GetProperty("note_id").GetGuid() == note.GetProperty("note_id").GetGuid());
        await InvokeAsync(visitor, "Send", new { client_message_id = "after-note", text = "Still there?" }); // later traffic is delivered
        var history = await InvokeAsync(visitor, "History", new { after_seq = 0 });
        Assert.Multiple(() =>
        {
            Assert.That(history.EnumerateArray().Select(m => m.GetProperty("text").GetString()), Has.None.Contains("VIP"));
            Assert.That(history.EnumerateArray().Select(m => m.GetProperty("seq").GetInt32()), Is.EqualTo(Enumerable.Range(1, history.GetArrayLength())),
                "the visitor's seq stays gapless");
            Assert.That(visitorNotes.TryTake(out _), Is.False, "no note event for the visitor");
        });
        while (visitorMessages.TryTake(out var message))
        {
            Assert.That(message.GetProperty("text").GetString(), Does.Not.Contain("VIP"));
        }

        var rest = (await Api.SignedAsync(Tenant, HttpMethod.Post, $"/api/v1/relay/sessions/{session.SessionId}/notes", new { text = "From the CRM" }))
            .ShouldBe(201).Data;
        Assert.That(rest.GetProperty("operator_id").ValueKind, Is.EqualTo(JsonValueKind.Null));
        var detail = (await Api.SignedAsync(Tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{session.SessionId}/conversation")).ShouldBe(200).Data;
        Assert.That(detail.GetProperty("notes").EnumerateArray().Select(n => n.GetProperty("text").GetString()),
            Is.EqualTo(new[] { "VIP customer,\nbe gentle", "From the CRM" }));

        var feed = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/events?after=0")).ShouldBe(200).Data.GetProperty("events").EnumerateArray().ToList();
        Assert.That(feed.Count(e => e.GetProperty("type").GetString() == "note.created"), Is.EqualTo(2));
        Assert.That(feed.Where(e => e.GetProperty("type").GetString() == "message.created")
            .Select(e => e.GetProperty("data").GetProperty("text").GetString()), Has.None.Contains("VIP"));
        (await Api.SignedAsync(Tenant, HttpMethod.Post, $"/api/v1/relay/sessions/{session.SessionId}/notes", new { text = " " })).ShouldBe(422, "validation_failed");
    }

    [Test]
    public async Task TagsAreSetFilteredAndAnnounced()
    {
        var (session, _, op, _) = await AcceptedAsync("tags", "Where is my refund?");
        var set = await InvokeAsync(op, "SetTags", new { session_id = session.SessionId, tags = new[] { "Refund", "vip", "refund" } });
        Assert.That(set.GetProperty("tags").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "refund", "vip" }));
        await OpenSessionAsync("human", "tags"); // untagged

        var tagged = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/sessions?tag=vip")).ShouldBe(200).Data.GetProperty("items");
        Assert.That(tagged.EnumerateArray().Select(i => i.GetProperty("session_id").GetGuid()), Is.EqualTo(new[] { session.SessionId }));
        Assert.That(tagged[0].GetProperty("tags").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "refund", "vip" }));

        (await Api.SignedAsync(Tenant, HttpMethod.Put, $"/api/v1/relay/sessions/{session.SessionId}/tags", new { tags = new[] { "bad tag!" } }))
            .ShouldBe(422, "validation_failed");
        (await Api.SignedAsync(Tenant, HttpMethod.Put, $"/api/v1/relay/sessions/{session.SessionId}/tags", new { tags = Array.Empty<string>() })).ShouldBe(200);
        var feed = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/events?after=0")).ShouldBe(200).Data.GetProperty("events");
        Assert.That(feed.EnumerateArray().Count(e => e.GetProperty("type").GetString() == "session.tagged"), Is.EqualTo(2));
    }

    [Test]
    public async Task CannedResponsesAreRenderedForTheConversationAndScopedByQueue()
    {
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/canned-responses",
            new { title = "Greeting", shortcut = "hi", text = "Hello {{visitor.name}}, I am {{ operator.name }}. {{unknown}}" })).ShouldBe(201);
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/canned-responses",
            new { title = "Other queue", shortcut = "other", text = "Not for you", routing_key = "elsewhere" })).ShouldBe(201);
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/canned-responses", new { title = "Dup", shortcut = "hi", text = "x" }))
            .ShouldBe(409, "conflict");
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/canned-responses", new { title = "Bad", shortcut = "Has Space", text = "x" }))
            .ShouldBe(422, "validation_failed");

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { mode = "human", routing_key = "canned", visitor = new { display_name = "Ada" } }),
                System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Bloonio-Widget-Key", Tenant.WidgetKey);
        request.Headers.Add("Origin", "https://shop.example.com");
        var sessionId = Guid.Parse((await Api.SendAsync(request)).ShouldBe(201).Data.GetProperty("session_id").GetString()!);
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(["canned"]));
        var canned = await InvokeAsync(op, "ListCannedResponses", new { session_id = sessionId });
        var greeting = canned.EnumerateArray().Single();
        Assert.That(greeting.GetProperty("shortcut").GetString(), Is.EqualTo("hi"), "the other queue's reply is not offered");
        Assert.That(greeting.GetProperty("rendered").GetString(), Does.StartWith("Hello Ada, I am Op ").And.EndWith("{{unknown}}"));

        var all = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/canned-responses")).ShouldBe(200).Data;
        var other = all.EnumerateArray().Single(c => c.GetProperty("shortcut").GetString() == "other").GetProperty("canned_id").GetGuid();
        (await Api.SignedAsync(Tenant, HttpMethod.Delete, $"/api/v1/relay/canned-responses/{other}")).ShouldBe(200);
        (await Api.SignedAsync(Tenant, HttpMethod.Delete, $"/api/v1/relay/canned-responses/{other}")).ShouldBe(404, "not_found");
    }

    [Test]
    public async Task TeammatesShowPresenceAndLoadAndAColleagueViewingIsSeen()
    {
        var (session, _, op, _) = await AcceptedAsync("team", "Help with my order");
        var mine = (await InvokeAsync(op, "ListMine")).EnumerateArray().Single();
        Assert.That(mine.GetProperty("operator_display_name").GetString(), Does.StartWith("Op "), "who holds it, by name");
        Assert.That(mine.GetProperty("preview").GetString(), Is.EqualTo("Help with my order"), "what the visitor first said");
        var colleague = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(["team"]));
        var team = await InvokeAsync(colleague, "ListTeammates");
        var holder = team.EnumerateArray().Single(t => t.GetProperty("open").GetInt32() == 1);
        Assert.That(holder.GetProperty("presence").GetString(), Is.EqualTo("online"));
        Assert.That(holder.GetProperty("capacity").GetInt32(), Is.GreaterThanOrEqualTo(1));

        using var viewing = HubEvents<JsonElement>.On(op, "viewing");
        await InvokeAsync(colleague, "Viewing", new { session_id = session.SessionId, viewing = true, typing = true });
        var seen = await viewing.WaitForAsync(v => v.GetProperty("session_id").GetGuid() == session.SessionId);
        Assert.That(seen.GetProperty("display_name").GetString(), Does.StartWith("Op "));
        Assert.That(seen.GetProperty("typing").GetBoolean(), Is.True);
    }

    [Test]
    public async Task AVisitorRatesAnEndedConversationAndGetsItsTranscript()
    {
        var (session, visitor, op, assignmentId) = await AcceptedAsync("rating", "My order is late");
        await InvokeAsync(op, "Send", new { session_id = session.SessionId, client_message_id = "o1", text = "It ships today." });
        await InvokeAsync(op, "AddNote", new { session_id = session.SessionId, text = "internal: goodwill voucher" });
        var early = Assert.ThrowsAsync<HubException>(() => InvokeAsync(visitor, "Rate", new { score = 5 }))!;
        Assert.That(RelayError(early), Does.StartWith("conflict:"), "rated once it has ended");

        await InvokeAsync(op, "Close", new { assignment_id = assignmentId, resolution = "shipped" });
        var bad = Assert.ThrowsAsync<HubException>(() => InvokeAsync(visitor, "Rate", new { score = 6 }))!;
        Assert.That(RelayError(bad), Does.StartWith("validation_failed:"));
        await InvokeAsync(visitor, "Rate", new { score = 2, comment = "slow" });
        var rated = await InvokeAsync(visitor, "Rate", new { score = 4, comment = "Quick and kind" });
        Assert.That(rated.GetProperty("score").GetInt32(), Is.EqualTo(4), "the last rating counts");

        var transcript = await visitor.InvokeAsync<string>("Transcript").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(transcript, Does.Contain("You: My order is late").And.Contain("It ships today.").And.Not.Contain("goodwill"));

        var detail = (await Api.SignedAsync(Tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{session.SessionId}/conversation")).ShouldBe(200).Data;
        Assert.That(detail.GetProperty("summary").GetProperty("rating").GetInt32(), Is.EqualTo(4));
        Assert.That(detail.GetProperty("rating_comment").GetString(), Is.EqualTo("Quick and kind"));
        var events = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/events?after=0")).ShouldBe(200).Data.GetProperty("events")
            .EnumerateArray().Where(e => e.GetProperty("type").GetString() == "session.rated").ToList();
        Assert.That(events, Has.Count.EqualTo(2));
        var last = events[^1].GetProperty("data");
        Assert.That(last.GetProperty("score").GetInt32(), Is.EqualTo(4));
        Assert.That(last.GetProperty("transcript").EnumerateArray().Select(l => l.GetProperty("text").GetString()),
            Has.Some.EqualTo("It ships today.").And.None.Contains("goodwill"));
    }

    [Test]
    public async Task TheReportCountsConversationsTimesAndCsatPerQueue()
    {
        var (session, visitor, op, assignmentId) = await AcceptedAsync("report", "Hello?");
        await InvokeAsync(op, "Send", new { session_id = session.SessionId, client_message_id = "r1", text = "Hi there" });
        await InvokeAsync(op, "Close", new { assignment_id = assignmentId, resolution = "done" });
        await InvokeAsync(visitor, "Rate", new { score = 5 });
        await OpenSessionAsync("human", "other-queue");

        var report = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/reports")).ShouldBe(200).Data;
        var total = report.GetProperty("total");
        Assert.Multiple(() =>
        {
            Assert.That(total.GetProperty("conversations").GetInt64(), Is.EqualTo(2));
            Assert.That(total.GetProperty("closed").GetInt64(), Is.EqualTo(1));
            Assert.That(total.GetProperty("csat").GetDouble(), Is.EqualTo(5));
            Assert.That(total.GetProperty("first_response_seconds").GetDouble(), Is.GreaterThanOrEqualTo(0));
            Assert.That(total.GetProperty("accept_seconds").GetDouble(), Is.GreaterThanOrEqualTo(0));
            Assert.That(report.GetProperty("by_routing_key").EnumerateArray().Select(r => r.GetProperty("routing_key").GetString()),
                Is.EquivalentTo(new[] { "report", "other-queue" }));
        });
        (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/reports?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"))
            .ShouldBe(422, "validation_failed");
    }
}
