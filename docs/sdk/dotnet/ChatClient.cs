using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Bloonio.Relay.SdkExample;

/// <summary>
/// A visitor's side of a conversation on the official client: messages merged by their per-session seq, and
/// History(after_seq) after every (re)connect, so a dropped network or a restarted app misses nothing.
/// </summary>
public sealed class ChatClient : IAsyncDisposable
{
    private readonly HubConnection _connection;
    private readonly ConcurrentDictionary<int, MessageEvent> _messages = new();
    private readonly List<(Func<MessageEvent, bool> Match, TaskCompletionSource<MessageEvent> Seen)> _waiters = [];
    private int _lastSeq;

    public ChatClient(Uri hubUrl, string visitorToken)
    {
        _connection = new HubConnectionBuilder()
            .WithUrl(hubUrl, o => o.AccessTokenProvider = () => Task.FromResult<string?>(visitorToken))
            .WithAutomaticReconnect()
            // The relay's events are snake_case; with this, plain C# records read them. (Arguments bind either way.)
            .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower)
            .Build();
        _connection.On<MessageEvent>("message", Receive);
        _connection.Reconnected += async _ => await CatchUpAsync(CancellationToken.None);
    }

    /// <summary>Connects (again) and returns what arrived since the last message this client saw.</summary>
    public async Task<IReadOnlyList<MessageEvent>> ConnectAsync(CancellationToken ct)
    {
        await _connection.StartAsync(ct);
        return await CatchUpAsync(ct);
    }

    public Task DisconnectAsync(CancellationToken ct) => _connection.StopAsync(ct);

    /// <summary>Retrying with the same client message id is safe: the relay answers with the first ack.</summary>
    public Task<Ack> SendAsync(string text, CancellationToken ct) =>
        _connection.InvokeAsync<Ack>("Send", new SendArgs(Guid.NewGuid().ToString(), text), ct);

    public Task<SessionState> RequestHumanAsync(string reason, CancellationToken ct) =>
        _connection.InvokeAsync<SessionState>("RequestHuman", new { reason }, ct);

    public Task<MessageEvent> WaitForAsync(Func<MessageEvent, bool> match, CancellationToken ct)
    {
        var seen = new TaskCompletionSource<MessageEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (_messages.Values.FirstOrDefault(match) is { } already)
            {
                return Task.FromResult(already);
            }

            _waiters.Add((match, seen));
        }

        return seen.Task.WaitAsync(ct);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private async Task<IReadOnlyList<MessageEvent>> CatchUpAsync(CancellationToken ct)
    {
        var missed = await _connection.InvokeAsync<List<MessageEvent>>("History", new HistoryArgs(_lastSeq, 200), ct);
        foreach (var message in missed)
        {
            Receive(message);
        }

        return missed;
    }

    private void Receive(MessageEvent message)
    {
        if (!_messages.TryAdd(message.Seq, message))
        {
            return; // seen already (live and again in History): merged by seq
        }

        lock (_waiters)
        {
            while (_messages.ContainsKey(_lastSeq + 1))
            {
                _lastSeq++; // the end of what we hold without a gap: History(after_seq) fills any gap
            }

            foreach (var waiter in _waiters.Where(w => w.Match(message)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Seen.TrySetResult(message);
            }
        }
    }
}

public sealed record SendArgs(string ClientMessageId, string Text);

public sealed record HistoryArgs(int AfterSeq, int Limit);

public sealed record Ack(Guid MessageId, int Seq, DateTimeOffset CreatedAt);

public sealed record MessageEvent(Guid MessageId, Guid SessionId, int Seq, Sender Sender, string Text, DateTimeOffset CreatedAt, string? ClientMessageId);

public sealed record Sender(string Type, Guid? Id, string? DisplayName);

public sealed record SessionState(Guid SessionId, string Status, int? QueuePosition);
