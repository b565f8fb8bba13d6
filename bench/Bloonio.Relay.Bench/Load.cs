using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Bloonio.Relay.Bench;

/// <summary>A visitor and an operator talking: a message from one side completes when the other side has it.</summary>
public abstract class Pair : IAsyncDisposable
{
    protected readonly ConcurrentDictionary<string, TaskCompletionSource<long>> Pending = new();
    private long _next;

    /// <summary>One message, one side to the other; returns the Stopwatch timestamp of its delivery.</summary>
    public async Task<long> SendAsync(bool fromVisitor)
    {
        var id = $"{(fromVisitor ? 'v' : 'o')}{Interlocked.Increment(ref _next)}";
        var delivered = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        Pending[id] = delivered;
        await SendCoreAsync(fromVisitor, id);
        return await delivered.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    protected void Delivered(string? id)
    {
        if (id is not null && Pending.TryRemove(id, out var waiter))
        {
            waiter.TrySetResult(Stopwatch.GetTimestamp());
        }
    }

    protected abstract Task SendCoreAsync(bool fromVisitor, string id);

    public abstract ValueTask DisposeAsync();
}

/// <summary>Over SignalR with the official .NET client: the relay's hubs, or B1's bare hub with the same shapes.</summary>
public sealed class HubPair : Pair
{
    private static readonly string Text = new('x', 64);
    private readonly HubConnection _visitor;
    private readonly HubConnection _operator;
    private string _sessionId = Guid.Empty.ToString();

    private HubPair(HubConnection visitor, HubConnection @operator)
    {
        (_visitor, _operator) = (visitor, @operator);
        // Each side hears its own messages too (other tabs): only the other side's complete a delivery.
        _visitor.On<JsonElement>("message", m => Delivered(Id(m) is ['o', ..] id ? id : null));
        _operator.On<JsonElement>("message", m => Delivered(Id(m) is ['v', ..] id ? id : null));
    }

    private static string? Id(JsonElement m) => m.TryGetProperty("client_message_id", out var id) ? id.GetString() : null;

    public static HubConnection Connect(string url, string? token) =>
        new HubConnectionBuilder()
            .WithUrl(url, o =>
            {
                o.SkipNegotiation = true; // a WebSocket straight away, as the widget does
                o.Transports = HttpTransportType.WebSockets;
                if (token is not null)
                {
                    o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                }
            })
            .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower)
            .Build();

    /// <summary>A human-mode session accepted by its own operator: visitor on one node, operator on (maybe) another.</summary>
    public static async Task<HubPair> RelayAsync(RelayApi api, Tenant tenant, string key, string visitorNode, string operatorNode)
    {
        var operatorToken = await api.OperatorTokenAsync(tenant, $"op-{key}@bench.test");
        var (sessionId, visitorToken) = await api.VisitorAsync(tenant, $"user-{key}");
        var pair = new HubPair(Connect($"{visitorNode}/hubs/visitor", visitorToken), Connect($"{operatorNode}/hubs/operator", operatorToken))
        {
            _sessionId = sessionId,
        };
        await Task.WhenAll(pair._visitor.StartAsync(), pair._operator.StartAsync());
        await pair._visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "hello", text = "hello" });
        var queue = await pair._operator.InvokeAsync<JsonElement>("ListQueue");
        var assignment = queue.EnumerateArray().First(a => a.GetProperty("session_id").GetString() == sessionId).GetProperty("assignment_id").GetString();
        await pair._operator.InvokeAsync<JsonElement>("Accept", new { assignment_id = assignment });
        return pair;
    }

    public static async Task<HubPair> BareAsync(string url, int index)
    {
        var pair = new HubPair(Connect($"{url}/b1?pair={index}&role=visitor", null), Connect($"{url}/b1?pair={index}&role=operator", null));
        await Task.WhenAll(pair._visitor.StartAsync(), pair._operator.StartAsync());
        return pair;
    }

    protected override Task SendCoreAsync(bool fromVisitor, string id) => fromVisitor
        ? _visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = id, text = Text })
        : _operator.InvokeAsync<JsonElement>("Send", new { session_id = _sessionId, client_message_id = id, text = Text });

    public override async ValueTask DisposeAsync()
    {
        await _visitor.DisposeAsync();
        await _operator.DisposeAsync();
    }
}

/// <summary>B2: raw WebSockets through a forwarding Kestrel endpoint.</summary>
public sealed class RawPair : Pair
{
    private readonly ClientWebSocket _visitor = new();
    private readonly ClientWebSocket _operator = new();
    private readonly SemaphoreSlim _visitorSend = new(1, 1);
    private readonly SemaphoreSlim _operatorSend = new(1, 1);

    public static async Task<RawPair> ConnectAsync(string url, int index)
    {
        var pair = new RawPair();
        var ws = url.Replace("http://", "ws://", StringComparison.Ordinal);
        await pair._visitor.ConnectAsync(new Uri($"{ws}/b2?pair={index}&role=visitor"), default);
        await pair._operator.ConnectAsync(new Uri($"{ws}/b2?pair={index}&role=operator"), default);
        _ = pair.ReceiveAsync(pair._visitor);
        _ = pair.ReceiveAsync(pair._operator);
        return pair;
    }

    private async Task ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4096];
        while (socket.State == WebSocketState.Open)
        {
            try
            {
                var received = await socket.ReceiveAsync(buffer, default);
                var text = Encoding.UTF8.GetString(buffer, 0, received.Count);
                Delivered(text[..text.IndexOf('|')]);
            }
            catch (WebSocketException)
            {
                return;
            }
        }
    }

    protected override async Task SendCoreAsync(bool fromVisitor, string id)
    {
        var (socket, gate) = fromVisitor ? (_visitor, _visitorSend) : (_operator, _operatorSend);
        var frame = Encoding.UTF8.GetBytes($"{id}|{{\"client_message_id\":\"{id}\",\"text\":\"{new string('x', 64)}\"}}");
        await gate.WaitAsync();
        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Text, true, default);
        }
        finally
        {
            gate.Release();
        }
    }

    public override ValueTask DisposeAsync()
    {
        _visitor.Abort();
        _operator.Abort();
        _visitor.Dispose();
        _operator.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>What a window of load cost: deliveries, and CPU seconds and counters of the processes watched.</summary>
public sealed record Window(long Delivered, double Seconds, IReadOnlyDictionary<string, double> Cost)
{
    public double Rate => Delivered / Seconds;

    public double PerMessage(string what) => Cost.TryGetValue(what, out var v) && Delivered > 0 ? v / Delivered : double.NaN;
}

/// <summary>Closed loop (each side of each pair sends its next message when the last one arrived) and open loop.</summary>
public static class Load
{
    public static async Task<Window> ClosedLoopAsync(IReadOnlyList<Pair> pairs, TimeSpan warmup, TimeSpan measure,
        Func<Task<Dictionary<string, double>>> meter)
    {
        var delivered = 0L;
        var measuring = 0;
        using var stop = new CancellationTokenSource();
        var streams = pairs.SelectMany(p => new[] { Stream(p, true), Stream(p, false) }).ToList();

        async Task Stream(Pair pair, bool fromVisitor)
        {
            await Task.Yield();
            while (!stop.IsCancellationRequested)
            {
                await pair.SendAsync(fromVisitor);
                if (Volatile.Read(ref measuring) == 1)
                {
                    Interlocked.Increment(ref delivered);
                }
            }
        }

        await Task.Delay(warmup);
        var before = await meter();
        var clock = Stopwatch.StartNew();
        Interlocked.Exchange(ref measuring, 1);
        await Task.Delay(measure);
        Interlocked.Exchange(ref measuring, 0);
        var count = Interlocked.Read(ref delivered);
        var seconds = clock.Elapsed.TotalSeconds;
        var after = await meter();
        stop.Cancel();
        await Task.WhenAll(streams);
        return new Window(count, seconds, after.ToDictionary(kv => kv.Key, kv => kv.Value - before.GetValueOrDefault(kv.Key)));
    }

    /// <summary>
    /// Open loop at <paramref name="rate"/> messages per second over every stream, each send at its scheduled time whatever
    /// the previous one did; latency is measured from the scheduled time to the delivery (no coordinated omission).
    /// The first <paramref name="warmUp"/> of sends is not recorded (the same for every server: what a server and the
    /// generator do once, when a stream starts, is not the steady state this measures).
    /// </summary>
    public static async Task<(double P50, double P99, long Count)> OpenLoopAsync(IReadOnlyList<Pair> pairs, double rate, TimeSpan warmUp,
        TimeSpan duration)
    {
        var streams = pairs.SelectMany(p => new[] { (Pair: p, FromVisitor: true), (Pair: p, FromVisitor: false) }).ToList();
        var interval = TimeSpan.FromSeconds(streams.Count / rate);
        var latencies = new ConcurrentBag<double>();
        var timeline = new ConcurrentBag<(double At, double Latency)>();
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 2;
        var startUtc = DateTime.UtcNow.AddSeconds(0.5);
        var recorded = start + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        var end = recorded + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        // In flight: a count, not a list of every send's task. Holding all of a run's tasks (about 100 000) kept them alive
        // through every collection, so the generator's own GC paused it 12–21 ms at a time, and each pause was measured as
        // the server's latency (BENCH_GCLOG lined them up with the tail's spikes).
        var pending = 1; // the streams' own, released once every send is scheduled
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Exception? failure = null;

        void Release()
        {
            if (Interlocked.Decrement(ref pending) == 0)
            {
                drained.TrySetResult();
            }
        }

        async Task MeasureAndRelease(Pair pair, bool fromVisitor, long scheduled)
        {
            try
            {
                await Measure(pair, fromVisitor, scheduled);
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref failure, ex, null);
            }
            finally
            {
                Release();
            }
        }

        async Task Stream(int index, Pair pair, bool fromVisitor)
        {
            var offset = (long)(interval.TotalSeconds * Stopwatch.Frequency * index / streams.Count);
            for (var k = 0L; ; k++)
            {
                var scheduled = start + offset + (long)(k * interval.TotalSeconds * Stopwatch.Frequency);
                if (scheduled >= end)
                {
                    return;
                }

                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), scheduled);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                Interlocked.Increment(ref pending);
                _ = MeasureAndRelease(pair, fromVisitor, scheduled);
            }
        }

        async Task Measure(Pair pair, bool fromVisitor, long scheduled)
        {
            var delivered = await pair.SendAsync(fromVisitor);
            if (scheduled < recorded)
            {
                return;
            }

            var latency = Stopwatch.GetElapsedTime(scheduled, delivered).TotalMilliseconds;
            latencies.Add(latency);
            if (TimelineFile is not null)
            {
                timeline.Add((Stopwatch.GetElapsedTime(start, scheduled).TotalSeconds, latency));
            }
        }

        await Task.WhenAll(streams.Select((s, i) => Stream(i, s.Pair, s.FromVisitor)));
        Release();
        await drained.Task;
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        var sorted = latencies.OrderBy(l => l).ToArray();
        if (TimelineFile is not null)
        {
            await File.AppendAllLinesAsync(TimelineFile, timeline.OrderBy(t => t.At).Select(t => FormattableString.Invariant($"{rate:F0} {t.At:F4} {t.Latency:F2} {startUtc.AddSeconds(t.At):HH:mm:ss.fff}")));
        }

        return (Percentile(sorted, 0.50), Percentile(sorted, 0.99), sorted.Length);
    }

    /// <summary>BENCH_TIMELINE=file: each open-loop message's scheduled time (s from the start) and latency (ms) appended
    /// to that file ("rate at latency" per line), to see whether a tail is spread or clustered in stalls.</summary>
    private static readonly string? TimelineFile = Environment.GetEnvironmentVariable("BENCH_TIMELINE");

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Length - 1, p * sorted.Length)];
}
