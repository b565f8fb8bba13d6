using System.Collections.Concurrent;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// A dependency that is down is an answer (REST 503 <c>dependency_unavailable</c> with Retry-After, hub
/// <c>unavailable: …</c>), not a crash, and one warning per outage, not a stack trace per request: the first failure of
/// an outage is logged with its cause, the end of it (no failure for <see cref="Quiet"/>) with its length and how many
/// answers it cost.
/// </summary>
public sealed class DependencyOutages(TimeProvider clock, ILogger<DependencyOutages> logger) : IDisposable
{
    /// <summary>What a client is told to wait before trying again.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>An outage is over once no failure was seen for this long.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Outage> _open = new();
    private ITimer? _timer;

    /// <summary>The dependency whose unavailability caused this exception, or null when it is something else.</summary>
    public static string? Cause(Exception exception) => Data.Common.PostgresFailures.Cause(exception);

    public IReadOnlyCollection<string> Down => _open.Keys.ToList();

    /// <summary>Counts a failure against the dependency's current outage (opening one, with a warning, if none is open).</summary>
    public void Report(string dependency, Exception cause)
    {
        var now = clock.GetUtcNow();
        var outage = _open.GetOrAdd(dependency, _ => new Outage(now));
        var first = Interlocked.Increment(ref outage.Failures) == 1;
        Interlocked.Exchange(ref outage.LastTicks, now.UtcTicks);
        if (first)
        {
            logger.LogWarning("{Dependency} is unreachable ({Cause}); answering 503 dependency_unavailable until it is back",
                dependency, Describe(cause));
            _timer ??= clock.CreateTimer(_ => CloseQuietOutages(), null, Quiet, Quiet);
        }
    }

    private void CloseQuietOutages()
    {
        var now = clock.GetUtcNow();
        foreach (var (dependency, outage) in _open)
        {
            if (now.UtcTicks - Interlocked.Read(ref outage.LastTicks) >= Quiet.Ticks && _open.TryRemove(dependency, out _))
            {
                logger.LogWarning("{Dependency} is back: unreachable for about {Seconds:0} s, {Failures} answers were 503 or unavailable",
                    dependency, (new DateTimeOffset(outage.LastTicks, TimeSpan.Zero) - outage.Since).TotalSeconds + 1, outage.Failures);
            }
        }
    }

    private static string Describe(Exception exception)
    {
        var inner = exception;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }

        return inner == exception ? exception.Message : $"{exception.Message} — {inner.Message}";
    }

    public void Dispose() => _timer?.Dispose();

    private sealed class Outage(DateTimeOffset since)
    {
        public readonly DateTimeOffset Since = since;
        public long Failures;
        public long LastTicks = since.UtcTicks;
    }
}
