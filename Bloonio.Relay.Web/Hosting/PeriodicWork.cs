namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// A background loop on every node: <see cref="RunOnceAsync"/> when woken (a PostgreSQL notification says there is
/// work) or, failing that, every <c>{IntervalKey}</c> seconds; a failed pass is logged and retried at the next wake or
/// tick; 0 turns the loop off (tests call RunOnceAsync themselves).
/// </summary>
public abstract class PeriodicWork<TResult>(TimeProvider clock, IConfiguration configuration, ILogger logger) : BackgroundService
{
    private readonly WakeSignal _wake = new();

    protected TimeProvider Clock { get; } = clock;

    protected abstract string IntervalKey { get; }

    /// <summary>The configured interval (zero: the loop is off).</summary>
    protected TimeSpan Interval => TimeSpan.FromSeconds(Math.Max(0, configuration.GetValue(IntervalKey, DefaultIntervalSeconds)));

    /// <summary>How the logs name this work.</summary>
    protected virtual string Name => GetType().Name;

    protected abstract double DefaultIntervalSeconds { get; }

    public abstract Task<TResult> RunOnceAsync(CancellationToken ct);

    /// <summary>
    /// The least time between two passes, however often woken: under load, wakes come with every commit, and a pass
    /// that waits a little takes many events at once instead of a few each.
    /// </summary>
    protected virtual TimeSpan Spacing => TimeSpan.Zero;

    /// <summary>How long to sleep after a pass unless woken: the configured interval, or less when work is due sooner.</summary>
    protected virtual Task<TimeSpan> NextWaitAsync(TimeSpan interval, CancellationToken ct) => Task.FromResult(interval);

    /// <summary>
    /// Whether a pass that nobody woke found nothing to do and the work may sleep longer: each such pass doubles the
    /// sleep, up to <see cref="IdleCeiling"/>; a wake or a pass that did something brings it back to the interval.
    /// Work that is woken whenever there is something for it (a notification) needs its safety net rarely when idle.
    /// </summary>
    protected virtual bool Idle(TResult result) => false;

    /// <summary>The longest sleep of an idle loop (see <see cref="Idle"/>).</summary>
    protected virtual TimeSpan IdleCeiling => TimeSpan.FromMinutes(5);

    /// <summary>Called after each pass with how long the loop will sleep unless woken.</summary>
    protected virtual void Sleeping(TimeSpan wait)
    {
    }

    /// <summary>Runs a pass soon (coalesced: many wakes before the pass make one pass; see <see cref="WakeSignal"/>).</summary>
    public void Wake() => _wake.Wake();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = configuration.GetValue(IntervalKey, DefaultIntervalSeconds);
        if (seconds <= 0)
        {
            return;
        }

        var interval = TimeSpan.FromSeconds(seconds);
        var wait = interval;
        var idleWait = interval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var woken = await _wake.WaitAsync(wait, stoppingToken);
                var result = await RunOnceAsync(stoppingToken);
                idleWait = !woken && Idle(result)
                    ? TimeSpan.FromTicks(Math.Min(idleWait.Ticks * 2, Math.Max(interval.Ticks, IdleCeiling.Ticks)))
                    : interval;
                wait = await NextWaitAsync(idleWait, stoppingToken);
                Sleeping(wait);
                if (Spacing > TimeSpan.Zero)
                {
                    await Task.Delay(Spacing, Clock, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (DependencyOutages.Cause(ex) is not null)
            {
                // Counted in the outage's one warning (the REST and hub paths report it too); retried soon.
                logger.LogDebug(ex, "{Work} could not reach a dependency; retrying", Name);
                wait = TimeSpan.FromSeconds(Math.Min(interval.TotalSeconds, DependencyOutages.RetryAfterSeconds));
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "{Work} failed; retrying at the next tick", Name);
            }
        }
    }
}

/// <summary>Periodic work that is one MediatR request, sent in its own scope under an actor name (for the audit log).</summary>
public abstract class PeriodicCommand<TResult>(IServiceScopeFactory scopes, TimeProvider clock, IConfiguration configuration, ILogger logger)
    : PeriodicWork<TResult>(clock, configuration, logger)
{
    protected abstract string Actor { get; }

    protected abstract MediatR.IRequest<TResult> Command { get; }

    public override async Task<TResult> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Core.Common.CallerContext>().Actor = Actor;
        return await scope.ServiceProvider.GetRequiredService<MediatR.IMediator>().Send(Command, ct);
    }
}
