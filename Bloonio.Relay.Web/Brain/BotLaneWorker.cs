using Bloonio.Relay.Core;
using Bloonio.Relay.Core.Brain;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Web.Hosting;
using MediatR;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Web.Brain;

/// <summary>
/// The bot lane: bot work is a row stored with the visitor's message (<see cref="IBotReplyStore"/>), leased by any
/// node, <c>Relay:Bot:Width</c> (8) replies at once per node. Each has until the message's deadline
/// (<c>Relay:Bot:ReplyDeadlineSeconds</c>, 15 s after it was stored) to be answered, after which the session escalates
/// (<see cref="AnswerWithBotCommand"/>). A job whose node died is taken up when its lease ends (past its deadline: it
/// escalates at once); a node that stops gives its unfinished jobs back. Woken by this node's commits, and every
/// <c>Relay:Bot:PollSeconds</c> (10 s) for the others'.
/// </summary>
public sealed class BotLaneWorker(
    IServiceScopeFactory scopes, IBotReplyStore store, IOptions<RelayCoreOptions> options, TimeProvider clock, IConfiguration configuration,
    ILogger<BotLaneWorker> logger) : BackgroundService, IBotLane
{
    private readonly Hosting.WakeSignal _wake = new();
    private readonly int _width = Math.Max(1, configuration.GetValue("Relay:Bot:Width", 8));
    private readonly TimeSpan _poll = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Relay:Bot:PollSeconds", 10)));
    private readonly HashSet<Task> _running = [];

    public void Wake() => _wake.Wake();

    /// <summary>Replies being worked on by this node now.</summary>
    public int Running
    {
        get
        {
            lock (_running)
            {
                return _running.Count;
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Long enough for the reply's whole deadline and its escalation; a job still leased after that was lost with its node.
        var lease = options.Value.BotReplyDeadline + TimeSpan.FromSeconds(15);
        while (!stoppingToken.IsCancellationRequested)
        {
            var free = _width - Running;
            IReadOnlyList<BotReplyJob> jobs = [];
            try
            {
                if (free > 0)
                {
                    var now = clock.GetUtcNow();
                    jobs = await store.LeaseAsync(free, now, now + lease, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (DependencyOutages.Cause(ex) is not null)
            {
                logger.LogDebug(ex, "The bot lane could not reach PostgreSQL; trying again soon");
            }

            foreach (var job in jobs)
            {
                var work = AnswerAsync(job, stoppingToken);
                lock (_running)
                {
                    _running.Add(work);
                }

                _ = work.ContinueWith(done =>
                {
                    lock (_running)
                    {
                        _running.Remove(done);
                    }

                    Wake(); // a free slot: more may be waiting
                }, TaskScheduler.Default);
            }

            if (jobs.Count > 0 && jobs.Count == free)
            {
                continue; // there may be more due right now
            }

            try
            {
                await _wake.WaitAsync(Running < _width ? _poll : Timeout.InfiniteTimeSpan, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Stopping: the jobs still running give themselves back (their token is cancelled); wait for that.
        Task[] left;
        lock (_running)
        {
            left = [.. _running];
        }

        await Task.WhenAll(left);
    }

    private const int MaxAttempts = 5;

    private async Task AnswerAsync(BotReplyJob job, CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            if (job.Attempts > MaxAttempts)
            {
                // Failed every time with a bug (an outage keeps its attempts short of this): give it up, loudly.
                logger.LogError("Bot reply to message {MessageId} of session {SessionId} given up after {Attempts} attempts",
                    job.MessageId, job.SessionId, job.Attempts);
                await store.CompleteAsync(job.MessageId, CancellationToken.None);
                return;
            }

            await using (var scope = scopes.CreateAsyncScope())
            {
                scope.ServiceProvider.GetRequiredService<CallerContext>().Actor = "bot";
                await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new AnswerWithBotCommand(job.TenantId, job.SessionId,
                    job.MessageId, job.Seq, job.Text, job.CreatedAt + options.Value.BotReplyDeadline), stoppingToken);
            }

            await store.CompleteAsync(job.MessageId, CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            try
            {
                await store.ReleaseAsync(job.MessageId, CancellationToken.None); // another node takes it now
            }
            catch (Exception ex) when (DependencyOutages.Cause(ex) is not null)
            {
                // Its lease ends on its own.
            }
        }
        catch (Exception ex) when (DependencyOutages.Cause(ex) is not null)
        {
            // Kept: its lease ends and it is taken up again (past its deadline, it escalates).
            logger.LogDebug(ex, "Bot reply to message {MessageId} interrupted: PostgreSQL unreachable", job.MessageId);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Bot lane failed on message {MessageId} of session {SessionId} (attempt {Attempt}); retried when its lease ends",
                job.MessageId, job.SessionId, job.Attempts);
        }
    }
}
