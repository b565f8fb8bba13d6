using Bloonio.Relay.Web.Configuration;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.CircuitBreaker;

namespace Bloonio.Relay.Web.Brain;

/// <summary>
/// The brain's resilience, one per node (the pipeline is registered once for the brain's client, whatever instance
/// of the typed client a caller gets): a time-out per attempt, one retry of a transient failure, and a circuit breaker
/// that opens when half the calls of 30 s fail (at least 5) and stays open <c>Relay:Brain:BreakSeconds</c> (30 s). While it
/// is open, calls fail at once,
/// so bot sessions escalate at once instead of waiting. Its state is shown by /readyz and the console.
/// </summary>
public sealed class BrainCircuit(ILogger<BrainCircuit> logger)
{
    public CircuitBreakerStateProvider StateProvider { get; } = new();

    /// <summary>closed, open, half_open or isolated.</summary>
    public string State => StateProvider.CircuitState switch
    {
        CircuitState.Closed => "closed",
        CircuitState.Open => "open",
        CircuitState.HalfOpen => "half_open",
        _ => "isolated",
    };

    public void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, BrainOptions options)
    {
        builder.AddRetry(new HttpRetryStrategyOptions
        {
            MaxRetryAttempts = 1,
            Delay = TimeSpan.FromMilliseconds(200),
            BackoffType = DelayBackoffType.Constant,
            UseJitter = true,
            // Not after a time-out: the reply's deadline is mostly spent by then.
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not Polly.Timeout.TimeoutRejectedException
                && HttpClientResiliencePredicates.IsTransient(args.Outcome)),
        });
        builder.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
        {
            FailureRatio = 0.5,
            MinimumThroughput = 5,
            SamplingDuration = TimeSpan.FromSeconds(30),
            BreakDuration = TimeSpan.FromSeconds(Math.Max(1, options.BreakSeconds)),
            StateProvider = StateProvider,
            OnOpened = args =>
            {
                logger.LogWarning("The brain's circuit opened for {Seconds} s after repeated failures ({Cause}); bot sessions escalate at once",
                    args.BreakDuration.TotalSeconds, args.Outcome.Exception?.Message ?? $"HTTP {(int?)args.Outcome.Result?.StatusCode}");
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                logger.LogWarning("The brain's circuit closed: the brain answers again");
                return ValueTask.CompletedTask;
            },
        });
        builder.AddTimeout(TimeSpan.FromSeconds(Math.Max(1, options.TimeoutSeconds)));
    }
}
