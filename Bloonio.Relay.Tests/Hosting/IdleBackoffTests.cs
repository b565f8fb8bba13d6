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
        using var stop = new CancellationTokenSource();
        var loop = new Probe();
        await loop.StartAsync(stop.Token);
        try
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
        }
        finally
        {
            await stop.CancelAsync();
            await loop.StopAsync(CancellationToken.None);
        }
    }

    private sealed class Probe()
        : PeriodicWork<int>(TimeProvider.System,
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Test:IntervalSeconds"] = "0.05" }).Build(),
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
