namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// The wake-up of a background loop: many wakes before the loop next waits make one pass, and a wake that comes while a
/// pass runs makes one more (what it reports may have come after the pass began). Woken with every commit under load,
/// so a wake already pending costs one interlocked exchange, not a <see cref="SemaphoreFullException"/> (an exception
/// per call was 300 a second under the benchmark's load).
/// </summary>
public sealed class WakeSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);
    private int _pending; // 1 from a wake until the wait that takes it returns

    public void Wake()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (SemaphoreFullException)
            {
                // a wake that raced a timed-out wait is still in the semaphore: the next wait returns at once anyway
            }
        }
    }

    /// <returns>Whether a wake came (false: the timeout passed). From its return on, a new wake asks for another pass.</returns>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        var woken = await _signal.WaitAsync(timeout, ct);
        Volatile.Write(ref _pending, 0);
        return woken;
    }
}
