using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Inference.Streaming.Benchmarks;

// dotnet run -c Release --project tests/Benchmarks [-- --short]    -> forward benchmarks (MediumRun, or ShortRun)
// dotnet run -c Release --project tests/Benchmarks -- --memory [N] -> engine memory soak (default 1,000,000 calls)
// dotnet run -c Release --project tests/Benchmarks -- --pipeline throughput [--symbols 200] [--ticks 300000]
//   [--ticks-per-bar 250] [-- worker args]
// dotnet run -c Release --project tests/Benchmarks -- --pipeline latency [--symbols 200] [--rate 5000] [--seconds 60]
//   [-- worker args]
// dotnet run -c Release --project tests/Benchmarks -- --pipeline burst [--symbols 200] [--burst 9000]
// dotnet run -c Release --project tests/Benchmarks -- --pipeline soak [--symbols 200] [--rate 5000] [--minutes 10]
//   [-- worker args]
// dotnet run -c Release --project tests/Benchmarks -- --state-size
// dotnet run -c Release --project tests/Benchmarks -- --produce-cost   -> CPU of one decision's two produces
// dotnet run -c Release --project tests/Benchmarks -- --consume-cost   -> CPU of one tick's hand-over from librdkafka
// dotnet run -c Release --project tests/Benchmarks -- --embedded [--minutes 30] [--worker-dir DIR] [-- worker args]
if (args.Length > 0 && args[0] == "--pipeline")
{
    await PipelineBenchmark.RunAsync(args);
    return;
}

if (args.Length > 0 && args[0] == "--embedded")
{
    await EmbeddedSoak.RunAsync(args);
    return;
}

if (args.Length > 0 && args[0] == "--serde")
{
    await SerdeTiming.RunAsync();
    return;
}

if (args.Length > 0 && args[0] == "--produce-cost")
{
    await ProduceCost.RunAsync();
    return;
}

if (args.Length > 0 && args[0] == "--consume-cost")
{
    await ConsumeCost.RunAsync();
    return;
}

if (args.Length > 0 && args[0] == "--state-size")
{
    StateSize.Run();
    return;
}

if (args.Length > 0 && args[0] == "--memory")
{
    MemorySoak.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
    return;
}

// In-process: the benchmark runs against the build output that carries the patched TorchSharp shim.
var job = args.Contains("--short") ? Job.ShortRun : Job.MediumRun;
args = [.. args.Where(a => a != "--short")];
var config = DefaultConfig
    .Instance.AddJob(job.WithToolchain(InProcessEmitToolchain.Instance).WithId("in-process"))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(ForwardBenchmarks).Assembly).Run(args, config);
