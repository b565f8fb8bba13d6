using Bloonio.Relay.Tests.Hubs;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Events;

/// <summary>GET /relay/events: every event of the tenant, in sequence order without gaps, paged by cursor.</summary>
public sealed class EventFeedTests : HubTestBase
{
    [Test]
    public async Task TheFeedListsTheTenantsEventsInOrderAndPages()
    {
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        await InvokeAsync(visitor, "Send", new { client_message_id = "1", text = "one" });
        await InvokeAsync(visitor, "Send", new { client_message_id = "2", text = "two" });

        var all = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/events?after=0")).ShouldBe(200).Data;
        var events = all.GetProperty("events").EnumerateArray().ToList();
        Assert.That(events.Select(e => e.GetProperty("sequence").GetInt64()), Is.EqualTo(Enumerable.Range(1, events.Count).Select(i => (long)i)));
        Assert.That(events.Select(e => e.GetProperty("type").GetString()),
            Is.EqualTo(new[] { "session.created", "message.created", "assignment.waiting", "message.created" }));
        Assert.That(events[1].GetProperty("data").GetProperty("seq").GetInt32(), Is.EqualTo(1), "a message event carries the session's seq");
        Assert.That(all.GetProperty("has_more").GetBoolean(), Is.False);

        var first = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/events?after=0&limit=2")).ShouldBe(200).Data;
        Assert.That(first.GetProperty("has_more").GetBoolean(), Is.True);
        var next = first.GetProperty("next_after").GetInt64();
        var second = (await Api.SignedAsync(Tenant, HttpMethod.Get, $"/api/v1/relay/events?after={next}&limit=2")).ShouldBe(200).Data;
        Assert.That(second.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("sequence").GetInt64()), Is.EqualTo(new long[] { 3, 4 }));
    }

    [Test]
    public async Task AnotherTenantsEventsAreNeverListedAndBadCursorsAre422()
    {
        await OpenSessionAsync("human");
        var other = await Api.CreateTenantAsync();
        var feed = (await Api.SignedAsync(other, HttpMethod.Get, "/api/v1/relay/events")).ShouldBe(200).Data;
        Assert.That(feed.GetProperty("events").GetArrayLength(), Is.Zero);
        Assert.That((await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/events?after=-1&limit=1000")).ShouldBe(422, "validation_failed").ErrorFields,
            Is.EquivalentTo(new[] { "after", "limit" }));
    }
}
