namespace Bloonio.Relay.Core.Common;

public static class TimeExtensions
{
    public static long GetUnixTimeMilliseconds(this TimeProvider clock) => clock.GetUtcNow().ToUnixTimeMilliseconds();
}
