using Inference.Streaming.Engine.Features;
using Inference.Streaming.Worker.Ingest;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Inference.Streaming.Worker.UnitTests.Ingest;

/// <summary>
/// The wall clock behind the future bound: the system's read once per step of the coarse clock, any other
/// <see cref="TimeProvider"/> read every time.
/// </summary>
public sealed class RecordRulesClockTests
{
    private static readonly TimeSpan Skew = TimeSpan.FromMinutes(5);

    private static RecordRules Rules(TimeProvider time) =>
        new(
            Options.Create(
                new FeatureOptions { MaxEventTimeSkew = Skew, EventTimeReference = EventTimeReference.WallClock }
            ),
            time
        );

    [Fact]
    public void TheSystemClockIsAtMostAFewMillisecondsOldAndMovesOn()
    {
        var rules = Rules(TimeProvider.System);
        var skewMs = (long)Skew.TotalMilliseconds;
        for (var round = 0; round < 3; round++)
        {
            var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var now = rules.FutureBound(long.MinValue) - skewMs;
            var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            // One step of the coarse clock is 1 to 10 ms (the kernel's tick); 100 ms leaves room for a slow machine.
            Assert.InRange(now, before - 100, after);
            Thread.Sleep(250);
        }
    }

    [Fact]
    public void ATimeProviderOtherThanTheSystemsIsReadEveryTime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 14, 30, 0, TimeSpan.Zero));
        var rules = Rules(time);
        var first = rules.FutureBound(long.MinValue);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(first + 1, rules.FutureBound(long.MinValue));
        Assert.Equal(time.GetUtcNow().ToUnixTimeMilliseconds() + (long)Skew.TotalMilliseconds, first + 1);
    }

    [Fact]
    public void ALaterWatermarkThanTheClockIsTheReference()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 14, 30, 0, TimeSpan.Zero));
        var ahead = time.GetUtcNow().ToUnixTimeMilliseconds() + 60_000;
        Assert.Equal(ahead + (long)Skew.TotalMilliseconds, Rules(time).FutureBound(ahead));
    }
}
