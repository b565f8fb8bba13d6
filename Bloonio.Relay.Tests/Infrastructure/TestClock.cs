namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>The relay's clock in tests: real time unless frozen, so windows and expiries are tested at their edges.</summary>
public sealed class TestClock : TimeProvider
{
    private DateTimeOffset? _frozen;

    public override DateTimeOffset GetUtcNow() => _frozen ?? base.GetUtcNow();

    public DateTimeOffset Freeze() => (_frozen = base.GetUtcNow()).Value;

    public void Set(DateTimeOffset now) => _frozen = now;

    public void Resume() => _frozen = null;
}
