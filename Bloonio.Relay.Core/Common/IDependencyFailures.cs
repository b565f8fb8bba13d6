namespace Bloonio.Relay.Core.Common;

/// <summary>
/// Tells a dependency that is down (an answer: 503, <c>unavailable: …</c>, one warning per outage) from a bug (logged
/// with its stack). Implemented where the dependency's client is known (Data for PostgreSQL).
/// </summary>
public interface IDependencyFailures
{
    /// <summary>The unavailable dependency that caused this exception, or null.</summary>
    string? Cause(Exception exception);
}
