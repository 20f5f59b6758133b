using Inference.Streaming.Engine.Features;
using Inference.Streaming.Worker.Ingest;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Inference.Streaming.Worker.UnitTests.Ingest;

/// <summary>
/// The wall clock behind the future bound: read again when its step moves on, or every time without a step.
/// </summary>
public sealed class CoarseWallClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 14, 30, 0, TimeSpan.Zero);

    [Fact]
    public void AValueIsKeptWhileTheStepStaysAndReadAgainWhenItMovesOn()
    {
        var time = new FakeTimeProvider(Start);
        long step = 7;
        var clock = new CoarseWallClock(time, () => step);
        var first = clock.NowMs();
        Assert.Equal(Start.ToUnixTimeMilliseconds(), first);

        time.Advance(TimeSpan.FromMilliseconds(3));
        Assert.Equal(first, clock.NowMs());

        step++;
        Assert.Equal(first + 3, clock.NowMs());
    }

    [Fact]
    public void WithoutAStepEveryCallReadsTheClock()
    {
        var time = new FakeTimeProvider(Start);
        var clock = CoarseWallClock.For(time);
        var first = clock.NowMs();
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(first + 1, clock.NowMs());
    }

    [Fact]
    public void TheSystemsClockIsAtMostOneCoarseStepOld()
    {
        var clock = CoarseWallClock.For(TimeProvider.System);
        for (var round = 0; round < 3; round++)
        {
            var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var now = clock.NowMs();
            var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            // A step is the kernel's tick, 1 to 10 ms; 100 ms leaves room for a descheduled thread.
            Assert.InRange(now, before - 100, after);
            var step = Environment.TickCount64;
            Assert.True(
                SpinWait.SpinUntil(() => Environment.TickCount64 != step, TimeSpan.FromSeconds(1)),
                "the coarse clock did not move on in a second"
            );
        }
    }

    [Fact]
    public void TheFutureBoundIsTheSkewAheadOfTheLaterOfTheClockAndTheWatermark()
    {
        var time = new FakeTimeProvider(Start);
        var skew = TimeSpan.FromMinutes(5);
        var rules = new RecordRules(
            Options.Create(
                new FeatureOptions { MaxEventTimeSkew = skew, EventTimeReference = EventTimeReference.WallClock }
            ),
            time
        );
        var nowMs = Start.ToUnixTimeMilliseconds();
        var skewMs = (long)skew.TotalMilliseconds;
        Assert.Equal(nowMs + skewMs, rules.FutureBound(long.MinValue));
        Assert.Equal(nowMs + 60_000 + skewMs, rules.FutureBound(nowMs + 60_000));
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(nowMs + 1 + skewMs, rules.FutureBound(nowMs - 60_000));
    }
}
