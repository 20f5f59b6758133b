using System.Buffers;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// Batched inference: one forward per model per batch over exactly the rows that need it, in
/// inference mode, every tensor disposed in a scope. Safe for concurrent callers: the only shared
/// state is the leased, read-only model set.
/// </summary>
public static class InferenceEngine
{
    /// <summary>
    /// Scores the rows. A model that throws or returns a non-finite output for a row counts as
    /// failed for that row, as if it were not loaded: an argmax row falls back to <c>universal</c>, a
    /// mixture drops it and renormalises over the specialists left (then falls back to
    /// <c>universal</c> when none is). A row nothing can decide comes back <see cref="RowResult.Failed"/>.
    /// </summary>
    public static RowResult[] Run(ModelSet set, ReadOnlySpan<float> features, int width, ReadOnlySpan<RowPlan> plans)
    {
        var rows = plans.Length;
        if (features.Length != rows * width)
        {
            throw new ArgumentException($"{features.Length} features is not {rows} rows of {width}.", nameof(features));
        }

        if (set.Models.Count == 0)
        {
            throw new ModelsNotReadyException("No model is loaded.");
        }

        var scoring = new RowScoring(rows);
        for (var r = 0; r < rows; r++)
        {
            scoring.DecidedBy[r] = Resolve(set, plans[r]);
        }

        RunModels(set, features, width, ModelNames.All, scoring, r => scoring.DecidedBy[r]);

        // Rows whose deciding models all failed fall back to universal, once.
        var fallback = false;
        for (var r = 0; r < rows; r++)
        {
            if (
                scoring.Outputs[r] is not { Count: > 0 }
                && scoring.DecidedBy[r] is { } decided
                && decided != ModelNames.Universal
                && set.Models.ContainsKey(ModelNames.Universal)
            )
            {
                scoring.DecidedBy[r] = ModelNames.Universal;
                scoring.Fallback[r] = true;
                fallback = true;
            }
        }

        if (fallback)
        {
            RunModels(
                set,
                features,
                width,
                [ModelNames.Universal],
                scoring,
                r => scoring.Fallback[r] ? ModelNames.Universal : null
            );
        }

        var results = new RowResult[rows];
        for (var r = 0; r < rows; r++)
        {
            results[r] = scoring.Outputs[r] is { Count: > 0 } outputs
                ? Combine(plans[r], scoring.DecidedBy[r]!, outputs)
                : RowResult.Failed(
                    scoring.Reason[r] ?? DecisionFailure.NoModel,
                    scoring.Detail[r]?.ToString()
                        ?? $"no loaded model can score a row planned for '{plans[r].Model ?? "mixture"}' (nor "
                            + $"'{ModelNames.Universal}')"
                );
        }

        return results;
    }

    private static void RunModels(
        ModelSet set,
        ReadOnlySpan<float> features,
        int width,
        IReadOnlyList<string> names,
        RowScoring scoring,
        Func<int, string?> decidedBy
    )
    {
        var selected = ArrayPool<int>.Shared.Rent(scoring.Rows);
        try
        {
            foreach (var name in names)
            {
                if (!set.Models.TryGetValue(name, out var model))
                {
                    continue;
                }

                var count = 0;
                for (var r = 0; r < scoring.Rows; r++)
                {
                    if (decidedBy(r) is { } decided && Uses(decided, name))
                    {
                        selected[count++] = r;
                    }
                }

                if (count > 0)
                {
                    Forward(model, features, width, selected.AsSpan(0, count), scoring);
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(selected);
        }
    }

    private static string? Resolve(ModelSet set, RowPlan plan)
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

        return set.Models.ContainsKey(ModelNames.Universal) ? ModelNames.Universal : null;
    }

    private static bool Uses(string decidedBy, string model) =>
        decidedBy == model || (decidedBy == "mixture" && ModelNames.Specialists.Contains(model));

    private static void Forward(
        LoadedModel model,
        ReadOnlySpan<float> features,
        int width,
        ReadOnlySpan<int> rows,
        RowScoring scoring
    )
    {
        if (model.Info.InputWidth != width)
        {
            foreach (var row in rows)
            {
                scoring.Fail(
                    row,
                    DecisionFailure.InferenceError,
                    $"{model.Info.Name} takes {model.Info.InputWidth} features; the rows have {width}"
                );
            }

            return;
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
                var rowProbabilities = probabilities.AsSpan(i * PolicyNetwork.Actions, PolicyNetwork.Actions);
                if (!AllFinite(rowProbabilities) || !float.IsFinite(values[i]))
                {
                    scoring.Fail(
                        row,
                        DecisionFailure.NonFiniteOutput,
                        $"{model.Info.Name} returned a non-finite output"
                    );
                    continue;
                }

                (scoring.Outputs[row] ??= new List<ModelRowOutput>(ModelNames.Specialists.Count)).Add(
                    new ModelRowOutput(model.Info.Name, model.Info.Sha256, rowProbabilities.ToArray(), values[i])
                );
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // One model failing must not take the others' rows with it.
            foreach (var row in rows)
            {
                scoring.Fail(
                    row,
                    DecisionFailure.InferenceError,
                    $"{model.Info.Name} failed: {ex.GetType().Name}: {ex.Message}"
                );
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(probabilities);
            ArrayPool<float>.Shared.Return(values);
        }
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var value in values)
        {
            if (!float.IsFinite(value))
            {
                return false;
            }
        }

        return true;
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
            return new RowResult(
                [single.Probabilities[0], single.Probabilities[1], single.Probabilities[2]],
                single.Value,
                decidedBy,
                outputs
            );
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

    /// <summary>Per row: who decides it, what each model returned, and what failed.</summary>
    private sealed class RowScoring(int rows)
    {
        public int Rows { get; } = rows;

        public string?[] DecidedBy { get; } = new string?[rows];

        public List<ModelRowOutput>?[] Outputs { get; } = new List<ModelRowOutput>?[rows];

        public bool[] Fallback { get; } = new bool[rows];

        public string?[] Reason { get; } = new string?[rows];

        public System.Text.StringBuilder?[] Detail { get; } = new System.Text.StringBuilder?[rows];

        public void Fail(int row, string reason, string detail)
        {
            Reason[row] = reason;
            var text = Detail[row] ??= new System.Text.StringBuilder();
            text.Append(text.Length > 0 ? "; " : string.Empty).Append(detail);
        }
    }
}
