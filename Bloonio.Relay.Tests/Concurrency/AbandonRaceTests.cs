using System.Text.Json;
using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Tests.Infrastructure;
using MediatR;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Concurrency;

/// <summary>
/// The abandonment sweep (node B, its clock past AbandonAfterSeconds) against a message from the operator it is taking
/// the conversation from (connected to node A, whose heartbeat B cannot see): the message is stored while the operator
/// still owns the conversation, or refused with not_assigned after; never stored for an operator who lost it.
/// </summary>
[NonParallelizable]
public sealed class AbandonRaceTests
{
    private static readonly int Rounds = int.TryParse(Environment.GetEnvironmentVariable("RACE_ROUNDS"), out var n) ? n : 10;

    [Test]
    public async Task TheAbandonSweepVersusTheOperatorsMessage()
    {
        await using var a = new RelayFactory();
        await using var b = new RelayFactory();
        var start = a.Clock.Freeze();
        var api = new RelayApi(a);
        var tenant = await api.CreateTenantAsync();
        (await api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new { max_concurrent = 100 })).ShouldBe(200);
        var email = $"leaving-{Guid.NewGuid():N}@example.com";
        (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/provision/operator", new { email, display_name = "Leaving" })).ShouldBe(201);
        var token = (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email }))
            .ShouldBe(200).Data.GetProperty("operator_token").GetString()!;
        await using var op = HubConnections.ForTestServer(a.Server, "/hubs/operator", token);
        await op.StartReadyAsync("/hubs/operator");
        var random = new Random(Rounds);
        var outcomes = new List<string>();

        for (var round = 0; round < Rounds; round++)
        {
            var session = (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/provision/session",
                new { external_user_id = $"user-{round}", mode = "human", initial_message = "help" })).ShouldBe(201).Data
                .GetProperty("session").GetProperty("session_id").GetGuid();
            await op.InvokeAsync<JsonElement>("Accept", new { assignment_id = await Invariants.OpenAssignmentAsync(session) })
                .WaitAsync(TimeSpan.FromSeconds(10));
            b.Clock.Set(start.AddSeconds(121 + round));

            var sweepFirst = random.Next(2) == 0;
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var sweep = Task.Run(async () =>
            {
                await go.Task;
                using var scope = b.Services.CreateScope();
                return await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new SweepAssignmentsCommand());
            });
            var send = Task.Run(async () =>
            {
                await go.Task;
                if (sweepFirst)
                {
                    await Task.Yield();
                }

                try
                {
                    await op.InvokeAsync<JsonElement>("Send", new { session_id = session, client_message_id = "mine", text = "still here" })
                        .WaitAsync(TimeSpan.FromSeconds(10));
                    return "ok";
                }
                catch (HubException ex)
                {
                    return ex.Message[(ex.Message.IndexOf("HubException: ", StringComparison.Ordinal) + 14)..].Split(':')[0];
                }
            });
            go.SetResult();
            var (result, sent) = (await sweep, await send);

            Assert.That(result.Abandoned, Is.GreaterThanOrEqualTo(1), "the operator was unseen: its conversation goes back to the queue");
            Assert.That(sent, Is.AnyOf("ok", "not_assigned"));
            outcomes.Add(sent);
            var stored = (await Invariants.JournalAsync(session)).Any(m => m.Sender == "operator" && m.ClientMessageId == "mine");
            Assert.That(stored, Is.EqualTo(sent == "ok"), "stored exactly when acknowledged");
            await Invariants.CheckAsync(tenant.TenantId);
        }

        TestContext.Out.WriteLine($"sends: {outcomes.Count(o => o == "ok")} stored first, {outcomes.Count(o => o != "ok")} refused after the sweep");
    }
}
