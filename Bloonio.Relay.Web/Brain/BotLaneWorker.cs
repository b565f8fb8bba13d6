using System.Threading.Channels;
using Bloonio.Relay.Core.Brain;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using MediatR;

namespace Bloonio.Relay.Web.Brain;

/// <summary>
/// The bot lane: visitor messages of bot-mode sessions queue here and a few workers answer them, each with the
/// brain's 15 s budget. Bounded, so a stuck brain sheds load (the message is already stored; the visitor can ask for a
/// human) instead of growing memory.
/// </summary>
public sealed class BotLaneWorker(IServiceScopeFactory scopes, ILogger<BotLaneWorker> logger) : BackgroundService, IBotLane
{
    private const int Workers = 4;
    private static readonly TimeSpan ReplyBudget = TimeSpan.FromSeconds(15);
    private readonly Channel<JournalMessage> _queue = Channel.CreateBounded<JournalMessage>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Enqueue(JournalMessage visitorMessage)
    {
        if (!_queue.Writer.TryWrite(visitorMessage))
        {
            logger.LogWarning("Bot lane full; no bot reply for message {MessageId}", visitorMessage.MessageId);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => WorkAsync(stoppingToken)));

    private async Task WorkAsync(CancellationToken stoppingToken)
    {
        await foreach (var message in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            budget.CancelAfter(ReplyBudget);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                scope.ServiceProvider.GetRequiredService<CallerContext>().Actor = "bot";
                await scope.ServiceProvider.GetRequiredService<IMediator>().Send(
                    new AnswerWithBotCommand(message.TenantId, message.SessionId, message.MessageId, message.Seq, message.Text), budget.Token);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Bot lane failed on message {MessageId} of session {SessionId}", message.MessageId, message.SessionId);
            }
        }
    }
}
