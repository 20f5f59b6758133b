using System.Buffers;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// The forwards of one engine call: each model over its own rows. Seed-shaped checkpoints of one shape (same width,
/// type and device) run as one stacked forward (<see cref="StackedPolicy"/>) when padding every model to the most rows
/// wastes little; otherwise, or when the stacked forward throws, each runs alone, so one model failing never
/// takes the others' rows with it. Outputs are recorded in the order the models are given.
/// </summary>
internal static class ForwardPass
{
    /// <summary>
    /// Padded rows a stack may waste per model it saves a forward of. A stack of three saved two to four rows'
    /// arithmetic per forward it replaced on this project's CPU (docs/PERFORMANCE.md, stacked specialists); past
    /// that, separate forwards are cheaper.
    /// </summary>
    private const int WastedRowsPerSavedForward = 2;

    public static void Run(
        ModelSet set,
        IReadOnlyList<LoadedModel> models,
        IReadOnlyList<int[]> rows,
        ReadOnlySpan<float> features,
        int width,
        RowScoring scoring
    )
    {
        if (
            models.Count > 1
            && Stackable(models, rows, width)
            && TryStacked(set, models, rows, features, width, scoring)
        )
        {
            return;
        }

        for (var m = 0; m < models.Count; m++)
        {
            Single(models[m], features, width, rows[m], scoring);
        }
    }

    private static bool Stackable(IReadOnlyList<LoadedModel> models, IReadOnlyList<int[]> rows, int width)
    {
        var first = models[0];
        var most = 0;
        var total = 0;
        for (var m = 0; m < models.Count; m++)
        {
            var model = models[m];
            if (
                model.Seed is null
                || model.Info.InputWidth != width
                || model.ComputeType != first.ComputeType
                || !model.Device.Equals(first.Device)
            )
            {
                return false;
            }

            most = Math.Max(most, rows[m].Length);
            total += rows[m].Length;
        }

        return (models.Count * most) - total <= WastedRowsPerSavedForward * (models.Count - 1);
    }

    private static bool TryStacked(
        ModelSet set,
        IReadOnlyList<LoadedModel> models,
        IReadOnlyList<int[]> rows,
        ReadOnlySpan<float> features,
        int width,
        RowScoring scoring
    )
    {
        var count = models.Count;
        var most = rows.Max(r => r.Length);
        var first = models[0];
        var probabilities = ArrayPool<float>.Shared.Rent(count * most * PolicyNetwork.Actions);
        var values = ArrayPool<float>.Shared.Rent(count * most);
        try
        {
            var stack = set.StackOf(models);
            using (NewDisposeScope())
            using (inference_mode())
            {
                // Padding rows stay zero: they are scored and thrown away.
                var x = zeros([count, most, width], first.ComputeType);
                for (var m = 0; m < count; m++)
                {
                    Gather(x, m * most, features, width, rows[m]);
                }

                var (p, v) = stack.Forward(x.to(first.Device));
                CopyOut(p, probabilities.AsSpan(0, count * most * PolicyNetwork.Actions));
                CopyOut(v, values.AsSpan(0, count * most));
            }

            for (var m = 0; m < count; m++)
            {
                Record(
                    models[m],
                    rows[m],
                    probabilities.AsSpan(m * most * PolicyNetwork.Actions),
                    values.AsSpan(m * most),
                    scoring
                );
            }

            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The models run alone instead, each failing on its own.
            return false;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(probabilities);
            ArrayPool<float>.Shared.Return(values);
        }
    }

    private static void Single(
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
                var x = empty([count, width], model.ComputeType);
                Gather(x, 0, features, width, rows);
                var (p, v) = model.Network.call(x.to(model.Device));
                CopyOut(p, probabilities.AsSpan(0, count * PolicyNetwork.Actions));
                CopyOut(v, values.AsSpan(0, count));
            }

            Record(model, rows, probabilities, values, scoring);
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

    /// <summary>Copies the selected rows straight into the CPU tensor's own memory, from row
    /// <paramref name="offset"/> on.</summary>
    private static void Gather(Tensor x, int offset, ReadOnlySpan<float> features, int width, ReadOnlySpan<int> rows)
    {
        if (x.dtype == ScalarType.Float64)
        {
            var destination = MemoryMarshal.Cast<byte, double>(x.bytes);
            for (var i = 0; i < rows.Length; i++)
            {
                var source = features.Slice(rows[i] * width, width);
                var target = destination.Slice((offset + i) * width, width);
                for (var k = 0; k < width; k++)
                {
                    target[k] = source[k];
                }
            }
        }
        else
        {
            var destination = MemoryMarshal.Cast<byte, float>(x.bytes);
            for (var i = 0; i < rows.Length; i++)
            {
                features.Slice(rows[i] * width, width).CopyTo(destination.Slice((offset + i) * width, width));
            }
        }
    }

    private static void Record(
        LoadedModel model,
        ReadOnlySpan<int> rows,
        ReadOnlySpan<float> probabilities,
        ReadOnlySpan<float> values,
        RowScoring scoring
    )
    {
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            var rowProbabilities = probabilities.Slice(i * PolicyNetwork.Actions, PolicyNetwork.Actions);
            if (!AllFinite(rowProbabilities) || !float.IsFinite(values[i]))
            {
                scoring.Fail(row, DecisionFailure.NonFiniteOutput, $"{model.Info.Name} returned a non-finite output");
                continue;
            }

            (scoring.Outputs[row] ??= new List<ModelRowOutput>(ModelNames.Specialists.Count)).Add(
                new ModelRowOutput(model.Info.Name, model.Info.Sha256, rowProbabilities.ToArray(), values[i])
            );
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

    /// <summary>Outputs are float32, as PyTorch's are; from float64 this rounds away the batch-dependent bits
    /// (and the stack's: a stacked forward equals the separate ones after this rounding).</summary>
    private static void CopyOut(Tensor output, Span<float> destination)
    {
        var cpu = output.device_type == DeviceType.CPU ? output : output.cpu();
        if (cpu.dtype == ScalarType.Float64)
        {
            var source = MemoryMarshal.Cast<byte, double>(cpu.contiguous().bytes);
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = (float)source[i];
            }
        }
        else
        {
            MemoryMarshal.Cast<byte, float>(cpu.contiguous().bytes)[..destination.Length].CopyTo(destination);
        }
    }
}
