using System.CommandLine;
using System.Text.Json;
using Inference.Streaming.Engine;
using Inference.Streaming.Engine.Diagnostics;
using Inference.Streaming.Engine.Inference;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Tools.Commands;

/// <summary>
/// <c>score --model-dir DIR [--model NAME] --input FILE.json [--device cpu|cuda]</c>: scores
/// <c>{"inputs": [[...], ...]}</c> with one model and writes <c>{"model", "sha256", "probs", "values"}</c>.
/// The float32 outputs are written in their shortest round-trip form, so nothing is lost: this is
/// the first step of forensic replay.
/// </summary>
public static class ScoreCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var modelDir = new Option<string>("--model-dir")
        {
            Description = "Model directory in the seed layout.",
            Required = true,
        };
        var model = new Option<string>("--model")
        {
            Description = "Model to score with.",
            DefaultValueFactory = _ => ModelNames.Universal,
        };
        model.AcceptOnlyFromAmong([.. ModelNames.All]);
        var input = new Option<string>("--input")
        {
            Description = "JSON file {\"inputs\": [[...], ...]}.",
            Required = true,
        };
        var device = new Option<string>("--device")
        {
            Description = "auto, cpu or cuda.",
            DefaultValueFactory = _ => "cpu",
        };
        device.AcceptOnlyFromAmong("auto", "cpu", "cuda");
        var libTorch = new Option<string?>("--libtorch-dir")
        {
            Description = "A PyTorch installation's lib folder to load libtorch from.",
        };
        var time = new Option<int>("--time")
        {
            Description =
                "Also time this many more forwards of the whole input as one batch and add their median and p90 (ms) "
                + "as \"timing\".",
            DefaultValueFactory = _ => 0,
        };
        time.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 0 or > 100_000)
            {
                result.AddError("--time must be between 0 and 100000.");
            }
        });
        var timeMixture = new Option<bool>("--time-mixture")
        {
            Description =
                "With --time: also time the directory's three specialists as one mixture call over the same rows "
                + "(stacked into one forward) and add it as \"timing_mixture\".",
        };
        var explain = new Option<string?>("--explain")
        {
            Description =
                "Also explain each row's proposed action: integrated_gradients (against zeros) or expected_gradients "
                + "(against the directory's background.json), as \"explanations\".",
        };
        explain.AcceptOnlyFromAmong(ScoreExplanations.Methods);
        var command = new Command(
            "score",
            "Scores inputs with one model and writes {\"model\", \"sha256\", \"probs\", \"values\"}."
        )
        {
            modelDir,
            model,
            input,
            device,
            libTorch,
            time,
            timeMixture,
            explain,
        };
        command.SetAction(Execute);
        return command;

        int Execute(ParseResult parse)
        {
            try
            {
                var name = parse.GetRequiredValue(model);
                var inputPath = parse.GetRequiredValue(input);
                var directory = parse.GetRequiredValue(modelDir);
                var inputs = ReadInputs(inputPath);
                using var host = CommandHost.Build(
                    [],
                    services =>
                    {
                        services.AddModelLoading();
                        services.PostConfigure<InferenceOptions>(inference =>
                        {
                            inference.Device = parse.GetRequiredValue(device);
                            inference.LibTorchDirectory = parse.GetValue(libTorch) ?? inference.LibTorchDirectory;
                        });
                    }
                );
                var loader = host.Services.GetRequiredService<ModelDirectoryLoader>();
                using var loaded = loader.LoadOne(name, PathOf(directory, name));
                var width = loaded.Info.InputWidth;
                var rows = inputs.Count;
                var features = new float[rows * width];
                for (var r = 0; r < rows; r++)
                {
                    if (inputs[r].Length != width)
                    {
                        throw new ArgumentException(
                            $"input row {r} has {inputs[r].Length} values; model '{name}' takes {width}"
                        );
                    }

                    inputs[r].CopyTo(features, r * width);
                }

                var method = parse.GetValue(explain);
                var set = new ModelSet(1, directory, new Dictionary<string, LoadedModel> { [name] = loaded }, [])
                {
                    Background = method == IntegratedGradients.ExpectedMethod ? BackgroundSet.Load(directory) : null,
                };
                var plans = Enumerable.Repeat(RowPlan.ForModel(name), rows).ToArray();
                var results = rows == 0 ? [] : InferenceEngine.Run(set, features, width, plans);
                if (results.Select((r, i) => (r, i)).FirstOrDefault(x => !x.r.Succeeded) is { r: { } failed } row)
                {
                    stderr.WriteLine($"score: input row {row.i}: {failed.Failure}: {failed.FailureDetail}");
                    return 1;
                }

                var timing = Time(set, features, width, plans, parse.GetValue(time));
                var mixtureTiming = parse.GetValue(timeMixture)
                    ? TimeMixture(loader, directory, features, width, rows, parse.GetValue(time))
                    : null;
                Write(
                    stdout,
                    loaded.Info,
                    results,
                    timing,
                    mixtureTiming,
                    method is null
                        ? null
                        : json => ScoreExplanations.Write(json, set, name, features, width, results, method)
                );
                return 0;
            }
            catch (Exception ex)
                when (ex
                        is ArgumentException
                            or OptionsValidationException
                            or ModelLoadException
                            or IOException
                            or JsonException
                            or InvalidOperationException
                            or UnauthorizedAccessException
                )
            {
                stderr.WriteLine("score: " + ex.Message);
                return ex is ArgumentException or OptionsValidationException ? 2 : 1;
            }
        }
    }

    /// <summary>The largest input file <c>score</c> reads: 16 MiB, about 40,000 rows of 43 features as JSON.</summary>
    public const long MaxInputBytes = 16L * 1024 * 1024;

    /// <summary>
    /// Reads <c>{"inputs": [[...], ...]}</c>: a regular file of at most <see cref="MaxInputBytes"/>,
    /// streamed into the parser (no copy as a string), every value a finite float32: the features are
    /// float32, so <c>1e999</c>, <c>NaN</c> and values beyond ±3.4e38 are refused by position here
    /// rather than scored into a non-finite output that would be blamed on the model.
    /// </summary>
    private static List<float[]> ReadInputs(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new ArgumentException($"{path}: file not found");
        }

        if (info.Length is 0 or > MaxInputBytes)
        {
            throw new ArgumentException(
                info.Length == 0
                    ? $"{path}: empty, or not a regular file"
                    : $"{path}: {info.Length:N0} bytes, over score's limit of {MaxInputBytes:N0}; split the input"
            );
        }

        using var stream = File.OpenRead(path);
        using var document = JsonDocument.Parse(stream);
        if (!document.RootElement.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
        {
            throw new ArgumentException($"{path}: expected {{\"inputs\": [[...], ...]}}");
        }

        var rows = new List<float[]>(inputs.GetArrayLength());
        foreach (var (row, i) in inputs.EnumerateArray().Select((row, i) => (row, i)))
        {
            if (row.ValueKind != JsonValueKind.Array)
            {
                throw new ArgumentException($"{path}: inputs[{i}] is not an array");
            }

            var values = new float[row.GetArrayLength()];
            foreach (var (value, j) in row.EnumerateArray().Select((value, j) => (value, j)))
            {
                values[j] =
                    value.ValueKind == JsonValueKind.Number
                    && value.TryGetDouble(out var number)
                    && float.IsFinite((float)number)
                        ? (float)number
                        : throw new ArgumentException(
                            $"{path}: inputs[{i}][{j}] is {LogText.Quote(value.GetRawText())}: not a finite float32 "
                                + "(features are float32: 1e999, NaN and values beyond ±3.4e38 are not)"
                        );
            }

            rows.Add(values);
        }

        return rows;
    }

    // The file the worker would serve for the model.
    private static string PathOf(string directory, string name) =>
        ModelDirectoryLoader.FindCheckpoint(ModelNames.FolderOf(directory, name))
        ?? Path.Combine(ModelNames.FolderOf(directory, name), ModelNames.CheckpointFile);

    /// <summary>The three specialists of <paramref name="directory"/> scoring every row as a mixture, timed as
    /// <see cref="Time"/> does: the stacked forward against one model's.</summary>
    private static (double MedianMs, double P90Ms, int Repeats)? TimeMixture(
        ModelDirectoryLoader loader,
        string directory,
        float[] features,
        int width,
        int rows,
        int repeats
    )
    {
        var specialists = new Dictionary<string, LoadedModel>(StringComparer.Ordinal);
        try
        {
            foreach (var specialist in ModelNames.Specialists)
            {
                specialists[specialist] = loader.LoadOne(specialist, PathOf(directory, specialist));
            }
        }
        catch
        {
            foreach (var model in specialists.Values)
            {
                model.Dispose();
            }

            throw;
        }

        // The set owns the models (and the stack it builds) from here on.
        using var set = new ModelSet(2, directory, specialists, []);
        var plans = Enumerable.Repeat(RowPlan.Mixture(1, 1, 1), rows).ToArray();
        return Time(set, features, width, plans, repeats);
    }

    /// <summary>Median and p90 wall time (ms) of <paramref name="repeats"/> forwards of the whole input, after as many
    /// warm-up runs.</summary>
    private static (double MedianMs, double P90Ms, int Repeats)? Time(
        ModelSet set,
        float[] features,
        int width,
        RowPlan[] plans,
        int repeats
    )
    {
        if (repeats <= 0 || plans.Length == 0)
        {
            return null;
        }

        for (var i = 0; i < Math.Min(repeats, 50); i++)
        {
            _ = InferenceEngine.Run(set, features, width, plans);
        }

        var samples = new double[repeats];
        for (var i = 0; i < repeats; i++)
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            _ = InferenceEngine.Run(set, features, width, plans);
            samples[i] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(samples);
        return (samples[repeats / 2], samples[Math.Min(repeats - 1, (int)(repeats * 0.9))], repeats);
    }

    private static void Write(
        TextWriter stdout,
        ModelInfo info,
        RowResult[] results,
        (double MedianMs, double P90Ms, int Repeats)? timing,
        (double MedianMs, double P90Ms, int Repeats)? mixtureTiming,
        Action<Utf8JsonWriter>? explanations
    )
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
            explanations?.Invoke(json);
            foreach (var (key, value) in new[] { ("timing", timing), ("timing_mixture", mixtureTiming) })
            {
                if (value is { } measured)
                {
                    json.WriteStartObject(key);
                    json.WriteNumber("batch", results.Length);
                    json.WriteNumber("repeats", measured.Repeats);
                    json.WriteNumber("median_ms", measured.MedianMs);
                    json.WriteNumber("p90_ms", measured.P90Ms);
                    json.WriteEndObject();
                }
            }

            json.WriteEndObject();
        }

        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }
}
