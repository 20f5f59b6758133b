using System.Globalization;
using System.Text.RegularExpressions;
using Inference.Streaming.Worker.Diagnostics;

namespace Inference.Streaming.Benchmarks;

/// <summary>
/// The worker's CPU by thread role between two scrapes of its <c>inference_cpu_time_seconds_total{role}</c>, with
/// the harness's own mock cluster thread (<c>rdk:mock</c>, the embedded broker the worker talks to) reported apart,
/// the mean batch size the decision stage reached (<c>inference_batch_size</c>), and the bytes the process allocated
/// and its GC pauses (.NET's <c>dotnet_gc_heap_total_allocated_bytes_total</c> and
/// <c>dotnet_gc_pause_time_seconds_total</c>).
/// </summary>
internal sealed partial record CpuBudget(
    IReadOnlyDictionary<string, double> Roles,
    double Broker,
    double Rows,
    double Batches,
    double Allocated,
    double GcPause,
    IReadOnlyDictionary<string, double> Threads,
    IReadOnlyDictionary<int, double> JitThreads
)
{
    private static readonly string[] Order = ["ingest", "decide", "librdkafka", "other"];

    /// <summary>The tiered JIT's background thread, as Linux keeps its name (15 characters).</summary>
    private const string TieredJitThread = ".NET Tiered Com";

    public static CpuBudget Scrape(HttpClient http, Uri metrics, int pid)
    {
        var text = http.GetStringAsync(metrics).GetAwaiter().GetResult();
        var roles = new Dictionary<string, double>(StringComparer.Ordinal);
        double rows = 0,
            batches = 0,
            allocated = 0,
            pause = 0;
        foreach (var line in text.Split('\n'))
        {
            if (RoleLine().Match(line) is { Success: true } role)
            {
                roles[role.Groups[1].Value] = Value(role.Groups[2].Value);
            }
            else if (BatchLine().Match(line) is { Success: true } batch)
            {
                (rows, batches) =
                    batch.Groups[1].Value == "sum"
                        ? (Value(batch.Groups[2].Value), batches)
                        : (rows, Value(batch.Groups[2].Value));
            }
            else if (RuntimeLine().Match(line) is { Success: true } runtime)
            {
                if (runtime.Groups[1].Value == "heap_total_allocated_bytes")
                {
                    allocated += Value(runtime.Groups[2].Value);
                }
                else
                {
                    pause += Value(runtime.Groups[2].Value);
                }
            }
        }

        var broker = CpuAccounting.Threads().Values.Where(t => t.Name == "rdk:mock").Sum(t => t.Seconds);
        // The worker's threads by name (pool threads share theirs), for what "other" holds.
        var all = CpuAccounting.Threads(pid);
        var threads = all
            .Values.GroupBy(t => t.Name)
            .ToDictionary(g => g.Key, g => g.Sum(t => t.Seconds), StringComparer.Ordinal);
        // By thread id: the runtime ends its JIT thread after a few idle seconds and starts another when needed.
        var jit = all.Where(t => t.Value.Name == TieredJitThread).ToDictionary(t => t.Key, t => t.Value.Seconds);
        return new CpuBudget(roles, broker, rows, batches, allocated, pause, threads, jit);
    }

    /// <summary>Prints CPU per million ticks and per thousand decisions by role over the window.</summary>
    public static void Print(CpuBudget before, CpuBudget after, double ticks, double decisions, double seconds)
    {
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"CPU by role over {seconds:F2} s ({ticks:F0} ticks, {decisions:F0} decisions, mean batch "
                    + $"{(after.Rows - before.Rows) / Math.Max(1, after.Batches - before.Batches):F1} rows):"
            )
        );
        Console.WriteLine("| role | CPU s | cores | s per million ticks | ms per thousand decisions |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        double total = 0;
        foreach (var role in Order)
        {
            var used = after.Roles.GetValueOrDefault(role) - before.Roles.GetValueOrDefault(role);
            total += used;
            Row(role, used);
        }

        Row("worker total", total);
        Row("embedded broker (harness's mock cluster)", after.Broker - before.Broker);
        var allocated = after.Allocated - before.Allocated;
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"allocated: {Per(allocated, ticks, 1, "F0")} bytes per tick, "
                    + $"{Per(allocated / 1024, decisions, 1, "F1")} KiB per decision "
                    + $"(all threads, {allocated / seconds / 1048576:F0} MiB/s); GC pauses "
                    + $"{(after.GcPause - before.GcPause) * 1e3:F0} ms"
            )
        );

        // The runtime's tiered JIT recompiles hot methods on a thread of its own, counted in "other": start-up's
        // cost, not a tick's, and a sign that the measured threads still ran some tier-0 code.
        // Each JIT thread alive at the end, from the start of the window or its own; one that ended in the window
        // is left out.
        var jit = after.JitThreads.Sum(t => t.Value - before.JitThreads.GetValueOrDefault(t.Key));
        var perTicks = Per(jit, ticks, 1e6, "F2");
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"tiered JIT in the window (threads alive at its end): {jit:F2} s, in other ({perTicks} s per M ticks)"
            )
        );

        Console.WriteLine(
            "worker threads by name over the window (ended threads left out): "
                + string.Join(
                    ", ",
                    after
                        .Threads.Select(t => (t.Key, Used: t.Value - before.Threads.GetValueOrDefault(t.Key)))
                        .Where(t => t.Used >= 0.01)
                        .OrderByDescending(t => t.Used)
                        .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.Used:F2} s"))
                )
        );

        void Row(string name, double used) =>
            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {name} | {used:F2} | {used / seconds:F2} | {Per(used, ticks, 1e6, "F2")} | "
                        + $"{Per(used, decisions, 1e6, "F1")} |"
                )
            );
    }

    // A quantity per unit of a count, scaled; a dash for a window without any (a window with no decisions printed NaN).
    private static string Per(double value, double count, double scale, string format) =>
        count > 0 ? (value * scale / count).ToString(format, CultureInfo.InvariantCulture) : "–";

    private static double Value(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^inference_cpu_time_seconds_total\{[^}]*role=""([a-z_]+)""[^}]*\}\s+(\S+)")]
    private static partial Regex RoleLine();

    [GeneratedRegex(@"^inference_batch_size_(sum|count)(?:\{[^}]*\})?\s+(\S+)")]
    private static partial Regex BatchLine();

    [GeneratedRegex(@"^dotnet_gc_(heap_total_allocated_bytes|pause_time_seconds)_total(?:\{[^}]*\})?\s+(\S+)")]
    private static partial Regex RuntimeLine();
}
