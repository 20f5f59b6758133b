using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.UnitTests.Features;

public sealed class BarBuilderTests
{
    private readonly BarBuilder _builder = new(1000);

    [Fact]
    public void ATickOfALaterBucketClosesTheOpenBar()
    {
        Assert.Equal(TickOutcome.Added, _builder.Add(1_500, 10, 1, out _));
        Assert.Equal(TickOutcome.Added, _builder.Add(1_900, 12, 2, out _));
        Assert.Equal(TickOutcome.Added, _builder.Add(1_200, 9, 3, out _)); // slightly out of order, same bar

        Assert.Equal(TickOutcome.ClosedBar, _builder.Add(3_100, 11, 1, out var bar));

        Assert.Equal(new Bar(1_000, 2_000, 10, 12, 9, 9, 6, 3), bar);
        Assert.Equal(3_000, _builder.OpenBar.StartMs);
    }

    [Fact]
    public void ATickForAClosedBarIsLate()
    {
        _builder.Add(1_500, 10, 1, out _);
        _builder.Add(2_500, 10, 1, out _);

        Assert.Equal(TickOutcome.Late, _builder.Add(1_999, 10, 1, out _));
        Assert.Equal(TickOutcome.Added, _builder.Add(2_000, 10, 1, out _));
    }

    [Fact]
    public void AQuietBarClosesOnceEventTimePassesItsEndPlusTolerance()
    {
        _builder.Add(1_500, 10, 1, out _);

        Assert.False(_builder.TryCloseAt(2_400, 500, out _));
        Assert.True(_builder.TryCloseAt(2_500, 500, out var bar));
        Assert.Equal(2_000, bar.EndMs);
        Assert.Equal(TickOutcome.Late, _builder.Add(1_800, 10, 1, out _));
    }

    [Fact]
    public void NegativeTimesAlignToTheEpochToo()
    {
        _builder.Add(-1_500, 10, 1, out _);

        Assert.Equal(-2_000, _builder.OpenBar.StartMs);
    }
}
