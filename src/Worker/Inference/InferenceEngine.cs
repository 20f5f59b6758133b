using System.Buffers;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Inference.Streaming.Worker.Inference;

/// <summary>
/// Batched inference: one forward per model per batch over exactly the rows that need it, in
/// inference mode, every tensor disposed in a scope. Safe for concurrent callers: the only shared
/// state is the leased, read-only model set.
/// </summary>
public sealed class InferenceEngine(IModelCatalog catalog)
{
    /// <summary>Scores <paramref name="plans"/>.Length rows of <paramref name="width"/> floats each.</summary>
    public RowResult[] Run(ReadOnlySpan<float> features, int width, ReadOnlySpan<RowPlan> plans)
    {
        using var lease = catalog.Acquire();
        return Run(lease.Set, features, width, plans);
    }

    public static RowResult[] Run(ModelSet set, ReadOnlySpan<float> features, int width, ReadOnlySpan<RowPlan> plans)
    {
        var rows = plans.Length;
        if (features.Length != rows * width)
        {
            throw new ArgumentException($"{features.Length} features is not {rows} rows of {width}.", nameof(features));
        }

        var decidedBy = new string[rows];
        var outputs = new List<ModelRowOutput>?[rows];
        for (var r = 0; r < rows; r++)
        {
            decidedBy[r] = Resolve(set, plans[r]);
        }

        var selected = ArrayPool<int>.Shared.Rent(rows);
        try
        {
            foreach (var name in ModelNames.All)
            {
                if (!set.Models.TryGetValue(name, out var model))
                {
                    continue;
                }

                var count = 0;
                for (var r = 0; r < rows; r++)
                {
                    if (Uses(decidedBy[r], plans[r], name))
                    {
                        selected[count++] = r;
                    }
                }

                if (count > 0)
                {
                    Forward(model, features, width, selected.AsSpan(0, count), outputs);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(selected);
        }

        var results = new RowResult[rows];
        for (var r = 0; r < rows; r++)
        {
            results[r] = Combine(plans[r], decidedBy[r], outputs[r]!);
        }

        return results;
    }

    private static string Resolve(ModelSet set, RowPlan plan)
    {
        if (plan.IsMixture)
        {
            if (ModelNames.Specialists.Any(set.Models.ContainsKey))
            {
                return "mixture";
            }
        }
        else if (set.Models.ContainsKey(plan.Model!))
        {
            return plan.Model!;
        }

        return set.Models.ContainsKey(ModelNames.Universal)
            ? ModelNames.Universal
            : throw new ModelsNotReadyException($"No model can score a row planned for '{plan.Model ?? "mixture"}': it is not loaded and neither is '{ModelNames.Universal}'.");
    }

    private static bool Uses(string decidedBy, RowPlan plan, string model) =>
        decidedBy == model || (decidedBy == "mixture" && ModelNames.Specialists.Contains(model));

    private static void Forward(LoadedModel model, ReadOnlySpan<float> features, int width, ReadOnlySpan<int> rows, List<ModelRowOutput>?[] outputs)
    {
        if (model.Info.InputWidth != width)
        {
            throw new InvalidOperationException($"Model '{model.Info.Name}' takes {model.Info.InputWidth} features; the rows have {width}.");
        }

        var count = rows.Length;
        var probabilities = ArrayPool<float>.Shared.Rent(count * PolicyNetwork.Actions);
        var values = ArrayPool<float>.Shared.Rent(count);
        try
        {
            using (NewDisposeScope())
            using (inference_mode())
            {
                // Rows are gathered straight into the input tensor's own CPU memory.
                var x = empty([count, width], model.ComputeType);
                if (model.ComputeType == ScalarType.Float64)
                {
                    var destination = MemoryMarshal.Cast<byte, double>(x.bytes);
                    for (var i = 0; i < count; i++)
                    {
                        var source = features.Slice(rows[i] * width, width);
                        var target = destination.Slice(i * width, width);
                        for (var k = 0; k < width; k++)
                        {
                            target[k] = source[k];
                        }
                    }
                }
                else
                {
                    var destination = MemoryMarshal.Cast<byte, float>(x.bytes);
                    for (var i = 0; i < count; i++)
                    {
                        features.Slice(rows[i] * width, width).CopyTo(destination.Slice(i * width, width));
                    }
                }

                var (p, v) = model.Network.call(x.to(model.Device));
                // Outputs are float32, as PyTorch's are; from float64 this rounds away the batch-dependent bits.
                CopyOut(p, probabilities.AsSpan(0, count * PolicyNetwork.Actions));
                CopyOut(v, values.AsSpan(0, count));
            }

            for (var i = 0; i < count; i++)
            {
                var row = rows[i];
                (outputs[row] ??= new List<ModelRowOutput>(ModelNames.Specialists.Count)).Add(
                    new ModelRowOutput(model.Info.Name, model.Info.Sha256, probabilities.AsSpan(i * PolicyNetwork.Actions, PolicyNetwork.Actions).ToArray(), values[i]));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(probabilities);
            ArrayPool<float>.Shared.Return(values);
        }
    }

    private static void CopyOut(Tensor output, Span<float> destination)
    {
        var cpu = output.device_type == DeviceType.CPU ? output : output.cpu();
        if (cpu.dtype == ScalarType.Float64)
        {
            var source = MemoryMarshal.Cast<byte, double>(cpu.bytes);
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = (float)source[i];
            }
        }
        else
        {
            MemoryMarshal.Cast<byte, float>(cpu.bytes)[..destination.Length].CopyTo(destination);
        }
    }

    private static RowResult Combine(RowPlan plan, string decidedBy, List<ModelRowOutput> outputs)
    {
        if (decidedBy != "mixture")
        {
            var single = outputs[0];
            return new RowResult([single.Probabilities[0], single.Probabilities[1], single.Probabilities[2]], single.Value, decidedBy, outputs);
        }

        // Weights are renormalised over the specialists that are loaded.
        var total = 0.0;
        foreach (var output in outputs)
        {
            total += plan.WeightOf(output.Model);
        }

        var probabilities = new double[PolicyNetwork.Actions];
        var value = 0.0;
        foreach (var output in outputs)
        {
            var weight = total > 0 ? plan.WeightOf(output.Model) / total : 1.0 / outputs.Count;
            for (var a = 0; a < PolicyNetwork.Actions; a++)
            {
                probabilities[a] += weight * output.Probabilities[a];
            }

            value += weight * output.Value;
        }

        return new RowResult(probabilities, value, decidedBy, outputs);
    }
}
