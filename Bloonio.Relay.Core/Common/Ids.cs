namespace Bloonio.Relay.Core.Common;

public static class Ids
{
    /// <summary>UUIDv7: time-ordered, so primary keys stay index-friendly and sort by creation.</summary>
    public static Guid New(TimeProvider clock) => Guid.CreateVersion7(clock.GetUtcNow());
}
