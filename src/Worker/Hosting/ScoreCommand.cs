using System.Text.Json;
using Inference.Streaming.Worker.Inference;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Hosting;

/// <summary>
/// <c>score --model-dir DIR [--model NAME] --input FILE.json [--device cpu|cuda]</c>: scores
/// <c>{"inputs": [[...], ...]}</c> with one model and writes <c>{"model", "sha256", "probs", "values"}</c>.
/// The float32 outputs are written in their shortest round-trip form, so nothing is lost: this is
/// the first step of forensic replay.
/// </summary>
public static class ScoreCommand
{
    public const string Usage = "usage: score --model-dir DIR [--model NAME] --input FILE.json [--device auto|cpu|cuda] [--libtorch-dir DIR]";

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            var options = ParseOptions(args);
            var modelDir = options.GetValueOrDefault("--model-dir") ?? throw new ArgumentException("--model-dir is required");
            var inputPath = options.GetValueOrDefault("--input") ?? throw new ArgumentException("--input is required");
            var name = options.GetValueOrDefault("--model") ?? ModelNames.Universal;
            if (!ModelNames.All.Contains(name))
            {
                throw new ArgumentException($"--model '{name}' is not one of {string.Join(", ", ModelNames.All)}");
            }

            var inference = new InferenceOptions { Device = options.GetValueOrDefault("--device") ?? "cpu", LibTorchDirectory = options.GetValueOrDefault("--libtorch-dir") };
            if (inference.Device is not ("auto" or "cpu" or "cuda"))
            {
                throw new ArgumentException($"--device '{inference.Device}' must be auto, cpu or cuda");
            }

            var inputs = ReadInputs(inputPath);
            var device = new TorchDevice(Options.Create(inference));
            var loader = new ModelDirectoryLoader(device, TimeProvider.System);
            var path = Directory.GetFiles(ModelNames.FolderOf(modelDir, name), "best_model.*").Order(StringComparer.Ordinal).FirstOrDefault()
                ?? Path.Combine(ModelNames.FolderOf(modelDir, name), ModelNames.CheckpointFile);
            using var model = loader.LoadOne(name, path);
            var width = model.Info.InputWidth;
            var rows = inputs.Count;
            var features = new float[rows * width];
            for (var r = 0; r < rows; r++)
            {
                if (inputs[r].Length != width)
                {
                    throw new ArgumentException($"input row {r} has {inputs[r].Length} values; model '{name}' takes {width}");
                }

                inputs[r].CopyTo(features, r * width);
            }

            var set = new ModelSet(1, modelDir, new Dictionary<string, LoadedModel> { [name] = model }, []);
            var plans = Enumerable.Repeat(RowPlan.ForModel(name), rows).ToArray();
            var results = rows == 0 ? [] : InferenceEngine.Run(set, features, width, plans);
            Write(stdout, model.Info, results);
            return 0;
        }
        catch (Exception ex) when (ex is ArgumentException or ModelLoadException or IOException or JsonException or InvalidOperationException or UnauthorizedAccessException)
        {
            stderr.WriteLine("score: " + ex.Message);
            stderr.WriteLine(Usage);
            return ex is ArgumentException ? 2 : 1;
        }
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] known = ["--model-dir", "--model", "--input", "--device", "--libtorch-dir"];
        for (var i = 0; i < args.Length; i++)
        {
            if (!known.Contains(args[i]))
            {
                throw new ArgumentException($"unknown option '{args[i]}'");
            }

            options[args[i]] = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
        }

        return options;
    }

    private static List<float[]> ReadInputs(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        if (!document.RootElement.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
        {
            throw new ArgumentException($"{path}: expected {{\"inputs\": [[...], ...]}}");
        }

        return [.. inputs.EnumerateArray().Select((row, i) => row.ValueKind == JsonValueKind.Array
            ? row.EnumerateArray().Select(v => v.GetSingle()).ToArray()
            : throw new ArgumentException($"{path}: inputs[{i}] is not an array"))];
    }

    private static void Write(TextWriter stdout, ModelInfo info, RowResult[] results)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("model", info.Name);
            json.WriteString("version", info.Version);
            json.WriteString("sha256", info.Sha256);
            json.WriteString("device", info.Device);
            json.WriteStartArray("probs");
            foreach (var result in results)
            {
                json.WriteStartArray();
                foreach (var p in result.Outputs[0].Probabilities)
                {
                    json.WriteNumberValue(p);
                }

                json.WriteEndArray();
            }

            json.WriteEndArray();
            json.WriteStartArray("values");
            foreach (var result in results)
            {
                json.WriteNumberValue(result.Outputs[0].Value);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
