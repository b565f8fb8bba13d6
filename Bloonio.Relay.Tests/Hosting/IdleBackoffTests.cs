using Bloonio.Relay.Web.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hosting;

/// <summary>
/// Background loops woken by notifications poll less while idle: a safety-net pass that nobody woke and that found
/// nothing doubles the sleep up to a ceiling; a wake, or a pass that did something, brings it back to the interval.
/// </summary>
public sealed class IdleBackoffTests
{
    [Test]
    public async Task AnIdleLoopSleepsLongerUpToItsCeilingAndAWakeBringsItBack()
    {
        var loop = new Probe();
        await WhileRunningAsync(loop, async () =>
        {
            // 50 ms, then 100, 200, 400, 400 … while idle (the first pass runs after the first interval).
            await loop.SleepsUntilAsync(s => s.Count >= 5);
            Assert.That(loop.Sleeps.Take(5), Is.EqualTo(new[] { 100, 200, 400, 400, 400 }.Select(ms => TimeSpan.FromMilliseconds(ms))));

            var before = loop.Sleeps.Count;
            loop.Wake();
            await loop.SleepsUntilAsync(s => s.Count > before);
            Assert.That(loop.Sleeps[before], Is.EqualTo(TimeSpan.FromMilliseconds(50)), "a woken pass sleeps the interval again");

            before = loop.Sleeps.Count;
            loop.Busy = true;
            await loop.SleepsUntilAsync(s => s.Count > before + 1);
            Assert.That(loop.Sleeps.Skip(before + 1).First(), Is.EqualTo(TimeSpan.FromMilliseconds(50)), "a pass that did something");
        });
    }

    [Test]
    public async Task WakesDuringAPassMakeExactlyOneMorePassAndNoneIsLost()
    {
        var loop = new Gate();
        await WhileRunningAsync(loop, async () =>
        {
            for (var round = 1; round <= 20; round++)
            {
                loop.Wake();
                Assert.That(await loop.Started.WaitAsync(TimeSpan.FromSeconds(10)), Is.True, "a wake starts a pass");
                for (var i = 0; i < 100; i++)
                {
                    loop.Wake(); // what it reports came after the pass began: one more pass, however many wakes
                }

                loop.Finish.Release();
                Assert.That(await loop.Started.WaitAsync(TimeSpan.FromSeconds(10)), Is.True, "the wakes during the pass start another");
                loop.Finish.Release();
                Assert.That(await loop.Ended.WaitAsync(TimeSpan.FromSeconds(10)) && await loop.Ended.WaitAsync(TimeSpan.FromSeconds(10)), Is.True);
                Assert.That(loop.Passes, Is.EqualTo(2 * round), "one pass for the first wake, one for the hundred during it");
            }

            Assert.That(await loop.Started.WaitAsync(TimeSpan.FromMilliseconds(300)), Is.False, "no pass without a wake (the interval is an hour)");
        }, stopping: () => loop.Finish.Release(100));
    }

    /// <summary>Runs <paramref name="body"/> while the loop runs, and stops the loop however the body ends.</summary>
    private static async Task WhileRunningAsync(Microsoft.Extensions.Hosting.BackgroundService loop, Func<Task> body, Action? stopping = null)
    {
        using var stop = new CancellationTokenSource();
        await loop.StartAsync(stop.Token);
        try
        {
            await body();
        }
        finally
        {
            await stop.CancelAsync();
            stopping?.Invoke();
            await loop.StopAsync(CancellationToken.None);
        }
    }

    private static IConfiguration Interval(string key, string seconds) =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = seconds }).Build();

    /// <summary>A loop whose passes the test starts and ends; its interval is an hour, so only wakes run it.</summary>
    private sealed class Gate()
        : PeriodicWork<int>(TimeProvider.System,
            Interval("Test:GateSeconds", "3600"),
            NullLogger.Instance)
    {
        private int _passes;

        public SemaphoreSlim Started { get; } = new(0);

        public SemaphoreSlim Finish { get; } = new(0);

        public SemaphoreSlim Ended { get; } = new(0);

        public int Passes => Volatile.Read(ref _passes);

        protected override string IntervalKey => "Test:GateSeconds";

        protected override double DefaultIntervalSeconds => 3600;

        public override async Task<int> RunOnceAsync(CancellationToken ct)
        {
            Started.Release();
            await Finish.WaitAsync(ct);
            Interlocked.Increment(ref _passes);
            Ended.Release();
            return 1;
        }
    }

    private sealed class Probe()
        : PeriodicWork<int>(TimeProvider.System,
            Interval("Test:IntervalSeconds", "0.05"),
            NullLogger.Instance)
    {
        private readonly SemaphoreSlim _slept = new(0);

        public List<TimeSpan> Sleeps { get; } = [];

        public volatile bool Busy;

        protected override string IntervalKey => "Test:IntervalSeconds";

        protected override double DefaultIntervalSeconds => 0.05;

        protected override TimeSpan IdleCeiling => TimeSpan.FromMilliseconds(400);

        public override Task<int> RunOnceAsync(CancellationToken ct) => Task.FromResult(Busy ? 1 : 0);

        protected override bool Idle(int result) => result == 0;

        protected override void Sleeping(TimeSpan wait)
        {
            lock (Sleeps)
            {
                Sleeps.Add(wait);
            }

            _slept.Release();
        }

        public async Task SleepsUntilAsync(Func<List<TimeSpan>, bool> done)
        {
            while (true)
            {
                lock (Sleeps)
                {
                    if (done(Sleeps))
                    {
                        return;
                    }
                }

                Assert.That(await _slept.WaitAsync(TimeSpan.FromSeconds(10)), Is.True, "the loop stopped running");
            }
        }
    }
}
