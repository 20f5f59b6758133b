using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>
/// Where the worker's CPU goes, by thread role: <c>inference_cpu_time_seconds_total{role}</c>, read on each scrape.
/// <list type="bullet">
/// <item><c>ingest</c>: the ingest thread (named <see cref="IngestThread"/>): poll, decode, bars, features.</item>
/// <item><c>decide</c>: the decision stage's batches, measured around each (forward, risk, assembly, encoding and
/// the produce calls), whatever pool thread ran them.</item>
/// <item><c>librdkafka</c>: the Kafka clients' own threads (<c>rdk:*</c>): protocol, compression, I/O.</item>
/// <item><c>embedded_broker</c>: the embedded mode's in-process mock cluster (<c>rdk:mock</c>); a real cluster takes
/// it off the machine.</item>
/// <item><c>other</c>: the rest of the process (REST, timers, garbage collection, start-up, JIT).</item>
/// </list>
/// Thread times come from <c>/proc/self/task</c> and the stage's from the thread CPU clock, so the roles are exact
/// only on Linux; elsewhere only <c>decide</c> is reported.
/// </summary>
public sealed partial class CpuAccounting
{
    public const string MeterName = "Inference.Streaming.Cpu";
    public const string Instrument = "inference_cpu_time";

    /// <summary>The ingest thread's name (at most 15 characters: Linux keeps no more).</summary>
    public const string IngestThread = "ingest";

    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID
    private static readonly double ClockTicksPerSecond = 100; // USER_HZ, fixed at 100 on Linux
    private static readonly bool OnLinux = OperatingSystem.IsLinux();

    private long _decideNanoseconds;

    public CpuAccounting(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableCounter(
            Instrument,
            Observe,
            "s",
            "CPU time of the worker process by thread role (ingest, decide, librdkafka, embedded_broker, other)"
        );
    }

    /// <summary>CPU time of the calling thread so far, in nanoseconds (0 where the clock is not available).</summary>
    public static long ThreadNanoseconds()
    {
        if (!OnLinux || ClockGetTime(ThreadCpuClock, out var now) != 0)
        {
            return 0;
        }

        return (now.Seconds * 1_000_000_000L) + now.Nanoseconds;
    }

    /// <summary>Adds the CPU a decision batch used since <paramref name="startedAt"/> (from
    /// <see cref="ThreadNanoseconds"/> on the same thread).</summary>
    public void AddDecide(long startedAt)
    {
        var used = ThreadNanoseconds() - startedAt;
        if (startedAt > 0 && used > 0)
        {
            Interlocked.Add(ref _decideNanoseconds, used);
        }
    }

    public double DecideSeconds => Interlocked.Read(ref _decideNanoseconds) / 1e9;

    /// <summary>Seconds of CPU by role so far (the <c>decide</c> part of pool threads moved out of
    /// <c>other</c>).</summary>
    public IReadOnlyDictionary<string, double> Snapshot()
    {
        var decide = DecideSeconds;
        var roles = new Dictionary<string, double>(StringComparer.Ordinal) { ["decide"] = decide };
        if (!OnLinux)
        {
            return roles;
        }

        double ingest = 0,
            rdkafka = 0,
            broker = 0,
            rest = 0;
        foreach (var thread in Threads().Values)
        {
            switch (thread.Name)
            {
                case IngestThread:
                    ingest += thread.Seconds;
                    break;
                case "rdk:mock":
                    broker += thread.Seconds;
                    break;
                case var name when name.StartsWith("rdk:", StringComparison.Ordinal):
                    rdkafka += thread.Seconds;
                    break;
                default:
                    rest += thread.Seconds;
                    break;
            }
        }

        // Threads that ended took their time with them from the task list; the process total keeps it.
        rest += Math.Max(0, ProcessSeconds() - (ingest + rdkafka + broker + rest));
        roles["ingest"] = ingest;
        roles["librdkafka"] = rdkafka;
        roles["embedded_broker"] = broker;
        roles["other"] = Math.Max(0, rest - decide);
        return roles;
    }

    private IEnumerable<Measurement<double>> Observe() =>
        Snapshot().Select(r => new Measurement<double>(r.Value, new KeyValuePair<string, object?>("role", r.Key)));

    /// <summary>Every thread of a process (0: this one) by thread id, with its name and CPU seconds so far (user +
    /// system), from <c>/proc/PID/task/*/stat</c>. Empty where there is no <c>/proc</c>.</summary>
    public static Dictionary<int, (string Name, double Seconds)> Threads(int pid = 0)
    {
        var threads = new Dictionary<int, (string Name, double Seconds)>();
        var root = pid == 0 ? "/proc/self/task" : $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task";
        if (!OnLinux || !Directory.Exists(root))
        {
            return threads;
        }

        foreach (var task in Directory.EnumerateDirectories(root))
        {
            try
            {
                if (
                    Parse(File.ReadAllText(Path.Combine(task, "stat"))) is { } thread
                    && int.TryParse(Path.GetFileName(task), CultureInfo.InvariantCulture, out var id)
                )
                {
                    threads[id] = thread;
                }
            }
            catch (IOException)
            {
                // it ended between the listing and the read
            }
        }

        return threads;
    }

    private static double ProcessSeconds()
    {
        try
        {
            return Parse(File.ReadAllText("/proc/self/stat"))?.Seconds ?? 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Name and utime + stime of a <c>stat</c> line: "pid (name) state ... utime stime ...".</summary>
    public static (string Name, double Seconds)? Parse(string stat)
    {
        var open = stat.IndexOf('(', StringComparison.Ordinal);
        var close = stat.LastIndexOf(')');
        if (open < 0 || close < open || close + 2 >= stat.Length)
        {
            return null;
        }

        // After the name, fields count from 3 (state): utime and stime are fields 14 and 15.
        var fields = stat[(close + 2)..].Split(' ');
        return
            fields.Length > 12
            && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
            ? (stat[(open + 1)..close], (user + system) / ClockTicksPerSecond)
            : null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
