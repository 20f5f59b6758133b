using System.Diagnostics.Metrics;
using Inference.Streaming.Worker.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Inference.Streaming.Worker.UnitTests.Diagnostics;

public sealed class CpuAccountingTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    [Fact]
    public void AStatLineGivesTheThreadsNameAndUserPlusSystemTime()
    {
        // A name may hold spaces and parentheses: the last ')' ends it.
        var parsed = CpuAccounting.Parse("4242 (rdk:broker (1)) S 1 2 3 4 5 6 7 8 9 10 250 125 0 0 20 0 1 0");

        Assert.Equal(("rdk:broker (1)", 3.75), parsed);
        Assert.Null(CpuAccounting.Parse("4242 (cut"));
        Assert.Null(CpuAccounting.Parse("4242 (x) S 1 2"));
    }

    [Fact]
    public void TheIngestThreadsWorkAndTheDecideStagesAreReportedUnderTheirRoles()
    {
        var cpu = new CpuAccounting(_services.GetRequiredService<IMeterFactory>());
        using var collector = new MetricCollector<double>(
            _services.GetRequiredService<IMeterFactory>(),
            CpuAccounting.MeterName,
            CpuAccounting.Instrument
        );
        var before = cpu.Snapshot();

        var ingest = new Thread(() => Burn(TimeSpan.FromMilliseconds(300))) { Name = CpuAccounting.IngestThread };
        ingest.Start();
        ingest.Join();
        var started = CpuAccounting.ThreadNanoseconds();
        Burn(TimeSpan.FromMilliseconds(300));
        cpu.AddDecide(started);
        var after = cpu.Snapshot();

        // The ingest thread has ended: its time stays in the process total, under "other".
        Assert.InRange(after["decide"] - before["decide"], 0.2, 2);
        Assert.InRange(after["other"] - before["other"], 0.2, 10);
        using var burned = new ManualResetEventSlim();
        using var measured = new ManualResetEventSlim();
        var live = new Thread(() =>
        {
            Burn(TimeSpan.FromMilliseconds(300));
            burned.Set();
            measured.Wait();
        })
        {
            Name = CpuAccounting.IngestThread,
        };
        live.Start();
        // Until the thread has used its CPU, however long a loaded machine takes to give it (a fixed 600 ms once
        // measured 0.14 s of it in CI).
        Assert.True(burned.Wait(TimeSpan.FromSeconds(60)));
        collector.RecordObservableInstruments();
        measured.Set();
        live.Join();
        var ingestNow = collector.GetMeasurementSnapshot().Last(m => (string?)m.Tags["role"] == "ingest").Value;
        Assert.InRange(ingestNow, 0.2, 10);
        Assert.Equal(
            ["decide", "embedded_broker", "ingest", "librdkafka", "other"],
            collector
                .GetMeasurementSnapshot()
                .Select(m => (string)m.Tags["role"]!)
                .Distinct()
                .Order(StringComparer.Ordinal)
        );
    }

    [Fact]
    public void AnotherProcesssThreadsAreListedByIdWithTheirNamesAndTime()
    {
        using var ready = new ManualResetEventSlim();
        using var done = new ManualResetEventSlim();
        var named = new Thread(() =>
        {
            Burn(TimeSpan.FromMilliseconds(200));
            ready.Set();
            done.Wait();
        })
        {
            Name = "cpu-threads-t",
        };
        named.Start();
        ready.Wait();

        var own = CpuAccounting.Threads();
        var byPid = CpuAccounting.Threads(Environment.ProcessId);
        done.Set();
        named.Join();

        var thread = Assert.Single(own.Values, t => t.Name == "cpu-threads-t");
        Assert.InRange(thread.Seconds, 0.1, 10);
        Assert.Contains(Environment.ProcessId, own.Keys); // the main thread's id is the process's
        Assert.Contains(byPid.Values, t => t.Name == "cpu-threads-t");
        Assert.Empty(CpuAccounting.Threads(int.MaxValue)); // no such process
    }

    private static void Burn(TimeSpan cpu)
    {
        var until = CpuAccounting.ThreadNanoseconds() + (long)cpu.TotalMilliseconds * 1_000_000;
        var x = 0.0;
        while (CpuAccounting.ThreadNanoseconds() < until)
        {
            for (var i = 0; i < 1000; i++)
            {
                x += Math.Sqrt(i);
            }
        }

        GC.KeepAlive(x);
    }
}
