using System.Diagnostics;
using Inference.Streaming.Engine.Inference;

namespace Inference.Streaming.Benchmarks;

/// <summary>
/// Calls the engine a million times (batch 1, one specialist) and samples the managed heap and
/// the process's resident memory every 100,000 calls: growth after warm-up means a leak of
/// tensors or buffers.
/// </summary>
internal static class MemorySoak
{
    public static void Run(int calls)
    {
        var set = Models.LoadFixtures();
        var features = Models.RandomRows(1, 43, seed: 11);
        RowPlan[] plan = [RowPlan.ForModel(ModelNames.Bull)];
        var stopwatch = Stopwatch.StartNew();
        Console.WriteLine("calls,elapsed_s,managed_mb,rss_mb");
        for (var i = 1; i <= calls; i++)
        {
            _ = InferenceEngine.Run(set, features, 43, plan);
            if (i % 100_000 == 0 || i == 1000)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                using var process = Process.GetCurrentProcess();
                var (heapMb, rssMb) = (GC.GetTotalMemory(true) / 1048576.0, process.WorkingSet64 / 1048576.0);
                Console.WriteLine($"{i},{stopwatch.Elapsed.TotalSeconds:F1},{heapMb:F1},{rssMb:F1}");
            }
        }

        set.Dispose();
    }
}
