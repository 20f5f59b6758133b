using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Benchmarks;

/// <summary>Managed bytes per symbol of warmed-up state (60 closed bars, an open bar, a regime), measured with the
/// GC.</summary>
internal static class StateSize
{
    public static void Run()
    {
        const int symbols = 10_000;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var partition = new PartitionState(0, 1000, 100_000);
        for (var s = 0; s < symbols; s++)
        {
            var state = partition.GetOrAdd($"S{s:D5}");
            for (var t = 0; t < 61_000; t += 500)
            {
                if (state.Bars.Add(t, 100 + (t % 7), 10, out var bar) == TickOutcome.ClosedBar)
                {
                    state.Indicators.Add(bar);
                }
            }

            state.AddRegime(0, Engine.Regimes.RegimeState.Prior);
            state.ApplyRegimesBefore(1);
            partition.TrackOpenBar(state, state.Bars.OpenBar.EndMs);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(
            $"{symbols} symbols: {(after - before) / (double)symbols:F0} bytes of managed state per symbol (incl. "
                + "dictionary and open-bar queue entries)"
        );
        GC.KeepAlive(partition);
    }
}
