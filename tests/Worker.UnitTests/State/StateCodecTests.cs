using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Worker.UnitTests.State;

public sealed class StateCodecTests
{
    [Fact]
    public void ARestoredSymbolContinuesExactlyAsTheOriginal()
    {
        var original = new SymbolState("XYZ", 1000, 100_000);
        var random = new Random(3);
        var price = 50.0;
        long time = 0;
        void Feed(SymbolState state, Random r, ref double p, ref long t, int ticks)
        {
            for (var i = 0; i < ticks; i++)
            {
                t += r.Next(50, 400);
                p *= 1 + ((r.NextDouble() - 0.5) * 0.01);
                if (state.Bars.Add(t, p, r.Next(0, 100), out var bar) == TickOutcome.ClosedBar)
                {
                    state.ApplyRegimesBefore(bar.EndMs);
                    state.Indicators.Add(bar);
                    state.Portfolio.MarkDay(bar.EndMs, bar.Close);
                    state.Portfolio.Apply(r.Next(3) == 1 ? TradeAction.BUY : TradeAction.HOLD, bar.Close);
                }
            }
        }

        Feed(original, random, ref price, ref time, 400);
        original.AddRegime(time + 5_000, RegimeState.FromProbabilities(0.6, 0.1, 0.3));
        original.Regime = RegimeState.FromProbabilities(0.2, 0.5, 0.3);

        var restored = StateCodec.FromSnapshot(StateCodec.ToSnapshot(original, time), 1000, 100_000);

        // Both continue on the same input; every observation must match bit for bit.
        var (randomA, randomB) = (new Random(9), new Random(9));
        var (priceA, priceB, timeA, timeB) = (price, price, time, time);
        for (var step = 0; step < 50; step++)
        {
            Feed(original, randomA, ref priceA, ref timeA, 10);
            Feed(restored, randomB, ref priceB, ref timeB, 10);
            var a = new float[Observation.Width];
            var b = new float[Observation.Width];
            Observation.Compute(original.Portfolio, original.Indicators, a);
            Observation.Compute(restored.Portfolio, restored.Indicators, b);
            Assert.Equal(a, b);
            Assert.Equal(original.Regime, restored.Regime);
            Assert.Equal(original.Bars.OpenBar, restored.Bars.OpenBar);
        }

        Assert.True(original.Indicators.BarCount > 60);
    }

    [Fact]
    public void ACheckpointMarkerCarriesThePartitionsPosition()
    {
        var partition = new PartitionState(2, 1000, 100_000)
        {
            TicksOffset = 10,
            RegimesOffset = -1,
            CheckpointSequence = 4,
        };
        partition.Advance(123_456);

        var marker = StateCodec.Checkpoint(partition, 0);

        Assert.Equal(StateCodec.CheckpointKey, marker.symbol);
        Assert.Equal(
            (2, 10L, -1L, 123_456L, 4L),
            (
                marker.checkpoint.partition,
                marker.checkpoint.ticks_offset,
                marker.checkpoint.regimes_offset,
                marker.checkpoint.watermark_ms,
                marker.checkpoint.sequence
            )
        );
    }
}
