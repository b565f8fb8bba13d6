namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// A background loop on every node: <see cref="RunOnceAsync"/> every <c>{IntervalKey}</c> seconds on the relay's clock;
/// a failed pass is logged and retried at the next tick; 0 turns the loop off (tests call RunOnceAsync themselves).
/// </summary>
public abstract class PeriodicWork<TResult>(TimeProvider clock, IConfiguration configuration, ILogger logger) : BackgroundService
{
    protected TimeProvider Clock { get; } = clock;

    protected abstract string IntervalKey { get; }

    protected abstract double DefaultIntervalSeconds { get; }

    public abstract Task<TResult> RunOnceAsync(CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = configuration.GetValue(IntervalKey, DefaultIntervalSeconds);
        if (seconds <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), Clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "{Work} failed; retrying at the next tick", GetType().Name);
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
