using System.Diagnostics;
using System.Text.Json.Nodes;
using Inference.Streaming.Engine.Simulation;

namespace Inference.Streaming.Trainer.Tests;

/// <summary>
/// The trainer's checkpoints, read by an independent reader that follows torch.load's protocol
/// (Python's zipfile and pickle only; no PyTorch on this machine). The same reader first reads a
/// checkpoint PyTorch itself wrote, so it is known to read what torch.save writes.
/// </summary>
public sealed class TorchFormatTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string _scratch = Directory.CreateTempSubdirectory("torch-format-").FullName;

    [SkippableFact]
    public async Task ACheckpointReadsTheWayTorchLoadReadsOne()
    {
        Skip.IfNot(File.Exists(Python), "Debian's python3 is not installed");
        var pytorchWritten = await ReadAsync(
            Path.Combine(Inference.Streaming.Tests.RepositoryRoot.PyTorchFixtures, "best_model.pth")
        );
        Assert.Equal(["optimizer_state_dict", "policy_state_dict"], Keys(pytorchWritten));

        var settings = new PpoSettings
        {
            Environments = 2,
            Steps = 16,
            MinibatchSize = 16,
            EpisodeBars = 50,
            Threads = 1,
        };
        using var engine = TrainerEngine.FromConfiguration([]);
        using var trainer = new PpoTrainer(
            settings,
            seed: 4,
            () => new TradingEnvironment(MarketRegime.Bear, 50, 100, engine)
        );
        trainer.Update(trainer.Collect());
        CheckpointWriter.Write(_scratch, trainer.Network, new Dictionary<string, string> { ["seed"] = "4" });

        var ours = await ReadAsync(Path.Combine(_scratch, "best_model.pth"));

        Assert.Equal(["policy_state_dict", "training"], Keys(ours));
        var tensors = ours["tensors"]!.AsObject();
        var expected = trainer.Network.state_dict();
        Assert.Equal(expected.Keys.Order(), tensors.Select(t => t.Key).Order());
        Assert.Equal(
            pytorchWritten["tensors"]!.AsObject().Select(t => t.Key).Order(),
            tensors.Select(t => t.Key).Order()
        );
        foreach (var (name, tensor) in expected)
        {
            var read = tensors[name]!;
            Assert.Equal(tensor.shape, read["shape"]!.AsArray().Select(d => d!.GetValue<long>()));
            var values = tensor.data<float>().ToArray();
            Assert.Equal(values[0], read["first"]!.GetValue<double>());
            Assert.Equal(values.Sum(v => (double)v), read["sum"]!.GetValue<double>(), 6);
        }
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static string[] Keys(JsonNode read) => [.. read["keys"]!.AsArray().Select(k => k!.GetValue<string>())];

    private static async Task<JsonNode> ReadAsync(string checkpoint)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Python", "torch_load_check.py"));
        start.ArgumentList.Add(checkpoint);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await stderr);
        return JsonNode.Parse(await stdout)!;
    }
}
