namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>
/// For server-side effects that no event announces (a connection's cleanup after its client went away): checks the
/// condition on a short period until it holds or the deadline passes.
/// </summary>
public static class Eventually
{
    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        HoldsAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>The same, for a condition that has work to do first (a pass of a background loop).</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline || !await tick.WaitForNextTickAsync())
            {
                throw new TimeoutException($"Not true within the deadline: {what}");
            }
        }
    }
}
