using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Inference.Streaming.Benchmarks;

// dotnet run -c Release --project tests/Benchmarks                 -> forward benchmarks
// dotnet run -c Release --project tests/Benchmarks -- --memory [N] -> engine memory soak (default 1,000,000 calls)
if (args.Length > 0 && args[0] == "--memory")
{
    MemorySoak.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
    return;
}

// In-process: the benchmark runs against the build output that carries the patched TorchSharp shim.
var config = DefaultConfig.Instance
    .AddJob(Job.MediumRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("in-process"))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
BenchmarkSwitcher.FromAssembly(typeof(ForwardBenchmarks).Assembly).Run(args, config);
