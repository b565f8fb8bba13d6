using System.Collections.Concurrent;
using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;

namespace Bloonio.Relay.Tests.Faults;

/// <summary>
/// Conversations under fault: visitor↔operator pairs on the official .NET client (reconnecting on their own), each side
/// sending a message every <see cref="Interval"/> the way the widget and the inbox do: a message keeps its
/// client_message_id until it is acknowledged, and is sent again (after a reconnect) until it is. What was acknowledged,
/// what failed, and what each side was shown are recorded, then checked against the journal.
/// </summary>
public sealed class ChatTraffic : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(150);

    private readonly List<Side> _sides = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];

    public sealed record Acked(Guid SessionId, string ClientMessageId, int Seq);

    public ConcurrentBag<Acked> Acks { get; } = [];

    public int FailedAttempts;

    /// <summary>When the last acknowledgement came (to measure recovery).</summary>
    public DateTime LastAckUtc { get; private set; }

    /// <summary>When an operator was last shown a visitor's message live (across nodes when they are on different ones).</summary>
    public DateTime LastCrossNodeUtc { get; private set; }

    private int _ackCount;

    /// <summary>Waits until <paramref name="count"/> more messages are acknowledged (the conversations are going).</summary>
    public Task AckedAsync(int count, TimeSpan? timeout = null)
    {
        var target = Volatile.Read(ref _ackCount) + count;
        return Eventually.HoldsAsync(() => Volatile.Read(ref _ackCount) >= target, $"{count} more messages acknowledged",
            timeout ?? TimeSpan.FromSeconds(60));
    }

    private sealed class Side(string name, Guid sessionId, HubConnection connection, bool isOperator)
    {
        public string Name { get; } = name;
        public Guid SessionId { get; } = sessionId;
        public HubConnection Connection { get; } = connection;
        public bool IsOperator { get; } = isOperator;
        public ConcurrentDictionary<int, int> Shown { get; } = new(); // seq → times shown
        public int Next;
        public string? Pending;
    }

    /// <summary>Opens <paramref name="pairs"/> accepted conversations: visitors on <paramref name="visitorNode"/>, operators on
    /// <paramref name="operatorNode"/> (each operator serves its own routing key, so each accepts its own visitor).</summary>
    public static async Task<ChatTraffic> StartAsync(RelayApi api, TestTenant tenant, Uri visitorNode, Uri operatorNode, int pairs)
    {
        var traffic = new ChatTraffic();
        for (var i = 0; i < pairs; i++)
        {
            var key = $"rk{i}";
            var email = $"fault-{i}-{Guid.NewGuid():N}@example.com";
            (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/provision/operator",
                new { email, display_name = $"Op {i}", routing_keys = new[] { key } })).ShouldBe(201);
            var operatorToken = (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email }))
                .ShouldBe(200).Data.GetProperty("operator_token").GetString()!;
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { mode = "human", routing_key = key }), System.Text.Encoding.UTF8,
                    "application/json"),
            };
            request.Headers.Add("X-Bloonio-Widget-Key", tenant.WidgetKey);
            request.Headers.Add("Origin", "https://shop.example.com");
            var session = (await api.SendAsync(request)).ShouldBe(201).Data;
            var sessionId = Guid.Parse(session.GetProperty("session_id").GetString()!);

            var op = Connect(operatorNode, "/hubs/operator", operatorToken);
            var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
            // Ready: the operator's groups are joined (on the Redis backplane too) before the visitor's first message is offered.
            await op.StartReadyAsync("/hubs/operator");
            var visitor = Connect(visitorNode, "/hubs/visitor", session.GetProperty("visitor_token").GetString()!);
            await visitor.StartReadyAsync("/hubs/visitor");
            var visitorSide = traffic.Track(new Side($"v{i}", sessionId, visitor, false));
            var operatorSide = traffic.Track(new Side($"o{i}", sessionId, op, true));
            await traffic.SendOnceAsync(visitorSide); // the first message queues the session
            var offer = await offers.WaitForAsync(o => o.GetProperty("session_id").GetGuid() == sessionId, TimeSpan.FromSeconds(20));
            await op.InvokeAsync<JsonElement>("Accept", new { assignment_id = offer.GetProperty("assignment_id").GetGuid() });
        }

        foreach (var side in traffic._sides)
        {
            traffic._loops.Add(traffic.LoopAsync(side));
        }

        return traffic;
    }

    private static HubConnection Connect(Uri node, string hub, string token) =>
        HubConnections.ForUrl(node, hub, token, HttpTransportType.WebSockets, configure: b => b.WithAutomaticReconnect(new EveryFifth()));

    private Side Track(Side side)
    {
        side.Connection.On<JsonElement>("message", m =>
        {
            if (m.GetProperty("session_id").GetGuid() == side.SessionId)
            {
                if (side.IsOperator && m.GetProperty("sender").GetProperty("type").GetString() == "visitor")
                {
                    LastCrossNodeUtc = DateTime.UtcNow;
                }

                side.Shown.AddOrUpdate(m.GetProperty("seq").GetInt32(), 1, (_, n) => n + 1);
            }
        });
        _sides.Add(side);
        return side;
    }

    private async Task LoopAsync(Side side)
    {
        while (!_stop.IsCancellationRequested)
        {
            await SendOnceAsync(side);
            try
            {
                await Task.Delay(Interval, _stop.Token); // the pace of a conversation
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SendOnceAsync(Side side)
    {
        side.Pending ??= $"{side.Name}-{++side.Next}";
        if (side.Connection.State != HubConnectionState.Connected)
        {
            return; // reconnecting: the widget keeps the message in its outbox meanwhile
        }

        try
        {
            var ack = side.IsOperator
                ? await side.Connection.InvokeAsync<JsonElement>("Send", new { session_id = side.SessionId, client_message_id = side.Pending, text = "operator says hi" })
                    .WaitAsync(TimeSpan.FromSeconds(15))
                : await side.Connection.InvokeAsync<JsonElement>("Send", new { client_message_id = side.Pending, text = "visitor says hi" })
                    .WaitAsync(TimeSpan.FromSeconds(15));
            Acks.Add(new Acked(side.SessionId, side.Pending, ack.GetProperty("seq").GetInt32()));
            side.Shown.AddOrUpdate(ack.GetProperty("seq").GetInt32(), 1, (_, n) => n + 1);
            LastAckUtc = DateTime.UtcNow;
            Interlocked.Increment(ref _ackCount);
            side.Pending = null;
        }
        catch (Exception ex) when (ex is HubException or InvalidOperationException or TimeoutException or OperationCanceledException
                                       or System.Net.WebSockets.WebSocketException or IOException)
        {
            Interlocked.Increment(ref FailedAttempts); // kept pending: sent again with the same id
        }
    }

    /// <summary>Stops the conversations: every message still pending is sent until acknowledged (bounded), then each
    /// side reads History, as a client catching up after a reconnect does.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (_sides.Any(s => s.Pending is not null) && DateTime.UtcNow < deadline)
        {
            foreach (var side in _sides.Where(s => s.Pending is not null))
            {
                await SendOnceAsync(side);
            }

            await Task.Delay(100); // waiting for a reconnect: no event to await across every side
        }

        foreach (var side in _sides.Where(s => s.Connection.State == HubConnectionState.Connected))
        {
            // Page by page from the first seq it missed, as the widget does after a reconnect.
            var after = Enumerable.Range(1, int.MaxValue - 1).First(seq => !side.Shown.ContainsKey(seq)) - 1;
            while (true)
            {
                var page = side.IsOperator
                    ? await side.Connection.InvokeAsync<JsonElement>("History", new { session_id = side.SessionId, after_seq = after, limit = 100 })
                    : await side.Connection.InvokeAsync<JsonElement>("History", new { after_seq = after, limit = 100 });
                var seqs = page.EnumerateArray().Select(m => m.GetProperty("seq").GetInt32()).ToList();
                foreach (var seq in seqs)
                {
                    side.Shown.TryAdd(seq, 1);
                }

                if (seqs.Count < 100)
                {
                    break;
                }

                after = seqs.Max();
            }
        }
    }

    public int Pending => _sides.Count(s => s.Pending is not null);

    public int Disconnected => _sides.Count(s => s.Connection.State != HubConnectionState.Connected);

    /// <summary>
    /// Checked against the journal: every acknowledged message is stored at its acknowledged seq (lost otherwise); no
    /// client_message_id is stored twice or acknowledged with two seqs (a duplicate shown); every side was shown (live
    /// or through History) every seq of its session, with no gap.
    /// </summary>
    public async Task<(int Acked, int Stored, int Lost, int Duplicates, int Gaps)> VerifyAsync(string connectionString)
    {
        var sessions = _sides.Select(s => s.SessionId).Distinct().ToArray();
        var stored = new Dictionary<(Guid, string), List<int>>();
        var lastSeq = new Dictionary<Guid, int>();
        await using (var db = new NpgsqlConnection(connectionString))
        {
            await db.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT session_id, client_message_id, seq FROM messages WHERE session_id = ANY(@s)", db);
            command.Parameters.AddWithValue("s", sessions);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var key = (reader.GetGuid(0), reader.IsDBNull(1) ? "" : reader.GetString(1));
                (stored.TryGetValue(key, out var seqs) ? seqs : stored[key] = []).Add(reader.GetInt32(2));
                lastSeq[reader.GetGuid(0)] = Math.Max(lastSeq.GetValueOrDefault(reader.GetGuid(0)), reader.GetInt32(2));
            }
        }

        var acks = Acks.ToList();
        var lost = acks.Count(a => !stored.TryGetValue((a.SessionId, a.ClientMessageId), out var seqs) || !seqs.Contains(a.Seq));
        var duplicates = stored.Count(p => p.Key.Item2 != "" && p.Value.Count > 1)
                         + acks.GroupBy(a => (a.SessionId, a.ClientMessageId)).Count(g => g.Select(a => a.Seq).Distinct().Count() > 1);
        var gaps = _sides.Sum(s => Enumerable.Range(1, lastSeq.GetValueOrDefault(s.SessionId)).Count(seq => !s.Shown.ContainsKey(seq)));
        return (acks.Select(a => (a.SessionId, a.ClientMessageId)).Distinct().Count(), stored.Keys.Count(k => k.Item2 != ""), lost, duplicates, gaps);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        foreach (var side in _sides)
        {
            await side.Connection.DisposeAsync();
        }
    }

    /// <summary>Reconnect at once, then every 200 ms, for two minutes (a node restarting, PostgreSQL coming back).</summary>
    private sealed class EveryFifth : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext context) =>
            context.ElapsedTime > TimeSpan.FromMinutes(2) ? null : context.PreviousRetryCount == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(200);
    }
}
