using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.UnitTests.Features;

public sealed class IncrementalFeaturesTests
{
    private const long Minute = 60_000;

    public static TheoryData<int> Seeds() => [1, 2, 3];

    [Theory]
    [MemberData(nameof(Seeds))]
    public void IncrementalFeaturesAgreeWithTheBatchReferenceOnLongRandomSeries(int seed)
    {
        var ticks = RandomTicks(seed, 60_000);
        var reference = BatchFeatureReference.Indicators(BatchFeatureReference.Bars(ticks, Minute));

        var builder = new BarBuilder(Minute);
        var indicators = new Indicators();
        var raw = new double[Observation.Width];
        var row = 0;
        foreach (var (time, price, size) in ticks)
        {
            if (builder.Add(time, price, size, out var bar) == TickOutcome.ClosedBar)
            {
                indicators.Add(bar);
                AssertRow(reference[row], indicators, raw, row);
                row++;
            }
        }

        Assert.True(builder.TryCloseAt(long.MaxValue, 0, out var last));
        indicators.Add(last);
        AssertRow(reference[row], indicators, raw, row);
        Assert.Equal(reference.Length, row + 1);
        Assert.True(reference.Length > 500, $"only {reference.Length} bars");
    }

    [Fact]
    public void TheReferenceItselfSeesEveryEdgeCase()
    {
        var bars = BatchFeatureReference.Bars(RandomTicks(1, 60_000), Minute);
        var rows = BatchFeatureReference.Indicators(bars);

        Assert.Contains(rows.Skip(14), r => r[0] == 0); // RSI NaN after warm-up (flat prices)
        Assert.Contains(rows, r => r[0] == 1.0); // RSI 100: gains, no losses
        Assert.Contains(bars, b => b.Volume == 0); // zero volume
        Assert.Contains(bars.Zip(bars.Skip(1)), p => p.Second.StartMs - p.First.EndMs >= 10 * Minute); // gaps
        Assert.Contains(rows.Skip(60), r => r[9] == 1.0); // SMA20 > SMA50 at times
        Assert.Contains(rows.Skip(60), r => r[9] == 0.0);
    }

    [Fact]
    public void WarmUpRowsArePaddedLikePandas()
    {
        var indicators = new Indicators();
        indicators.Add(new Bar(0, Minute, 10, 11, 9, 10, 100, 1));
        indicators.Add(new Bar(Minute, 2 * Minute, 10, 12, 10, 11, 50, 1));
        var raw = new double[Observation.Width];

        indicators.Write(raw);

        Assert.True(double.IsNaN(raw[3])); // RSI needs 14 bars
        Assert.Equal(0.1, raw[9], 12); // 1-bar return
        Assert.True(double.IsNaN(raw[10])); // 5-bar return needs 6 bars
        Assert.Equal(0.0, raw[12]); // SMA50 missing: comparison is false
        Assert.Equal(0.1, raw[42], 12); // newest return last
        Assert.Equal(0.0, raw[41]); // the first bar's return counts as 0
        Assert.All(raw[13..41], r => Assert.Equal(0.0, r)); // left padding
        Assert.True(raw[4] > 0); // MACD defined from the first bar
    }

    private static void AssertRow(double[] expected, Indicators indicators, double[] raw, int row)
    {
        indicators.Write(raw);
        for (var i = 3; i < Observation.Width; i++)
        {
            var actual = Observation.Sanitize(raw[i]);
            var want = expected[i - 3];
            Assert.True(
                Math.Abs(actual - want) <= 1e-9 * Math.Max(1, Math.Abs(want)),
                $"bar {row}, feature {i} ({Observation.FeatureNames[i]}): incremental {actual:R}, batch {want:R}"
            );
        }
    }

    /// <summary>A random walk with session gaps, flat stretches, zero-volume stretches and bursts.</summary>
    private static List<(long TimeMs, double Price, double Size)> RandomTicks(int seed, int count)
    {
        var random = new Random(seed);
        var ticks = new List<(long, double, double)>(count);
        var time = 1_767_225_600_000L;
        var price = 100.0;
        var mode = 0;
        for (var i = 0; i < count; i++)
        {
            if (i % 500 == 0)
            {
                mode = random.Next(5);
            }

            time += mode == 4 && random.NextDouble() < 0.01 ? random.Next(10, 120) * Minute : random.Next(1, 4000);
            price = mode switch
            {
                0 => price, // flat
                1 => price * (1 + (0.002 * Math.Abs(random.NextDouble()))), // only gains
                _ => Math.Max(0.01, price * (1 + (0.004 * (random.NextDouble() - 0.5)))),
            };
            var size = mode == 2 ? 0.0 : Math.Round(random.NextDouble() * 500);
            ticks.Add((time, price, size));
        }

        return ticks;
    }
}
