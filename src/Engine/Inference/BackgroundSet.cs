using System.Text.Json;
using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// <c>background.json</c> at the root of a model directory: observations of the bars the models were trained on,
/// the reference distribution expected gradients explain against (SHAP's background set).
/// <c>{"feature_layout": "seed-43", "source": "...", "rows": [[43 numbers], ...]}</c>, 1 to
/// <see cref="MaxRows"/> rows of finite numbers. Optional: without it, explanations are integrated gradients only.
/// </summary>
public sealed class BackgroundSet
{
    public const string FileName = "background.json";
    public const int MaxRows = 10_000;
    public const long MaxBytes = 16L * 1024 * 1024;

    private BackgroundSet(float[] rows, int count, string source, string path, string sha256)
    {
        Rows = rows;
        Count = count;
        Source = source;
        Path = path;
        Sha256 = sha256;
    }

    /// <summary>The rows, flat, <see cref="Observation.Width"/> values each.</summary>
    public float[] Rows { get; }

    public int Count { get; }

    /// <summary>Where the rows came from, as the file says.</summary>
    public string Source { get; }

    public string Path { get; }

    public string Sha256 { get; }

    /// <summary>The directory's background set; null when it has none; throws <see cref="ModelLoadException"/> for a
    /// file that is not one.</summary>
    public static BackgroundSet? Load(string directory)
    {
        var path = System.IO.Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        long length;
        try
        {
            length = CheckpointGuard.LengthOf(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(path, "cannot be read: " + ex.Message);
        }

        if (length is 0 or > MaxBytes)
        {
            throw new ModelLoadException(
                path,
                length == 0 ? "empty, or not a regular file" : $"{length:N0} bytes, over {MaxBytes:N0}"
            );
        }

        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            var root = document.RootElement;
            var layout = root.TryGetProperty("feature_layout", out var l) ? l.GetString() : null;
            if (layout is not null && layout != ModelManifest.DefaultFeatureLayout)
            {
                throw new ModelLoadException(path, $"feature_layout '{layout}'; the stream's is seed-43");
            }

            if (!root.TryGetProperty("rows", out var rows) || rows.ValueKind != JsonValueKind.Array)
            {
                throw new ModelLoadException(path, "no \"rows\" array");
            }

            var count = rows.GetArrayLength();
            if (count is 0 or > MaxRows)
            {
                throw new ModelLoadException(path, $"{count} rows; a background set has 1 to {MaxRows:N0}");
            }

            var flat = new float[count * Observation.Width];
            var i = 0;
            foreach (var row in rows.EnumerateArray())
            {
                if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != Observation.Width)
                {
                    throw new ModelLoadException(path, $"rows[{i}] is not {Observation.Width} numbers");
                }

                var j = 0;
                foreach (var value in row.EnumerateArray())
                {
                    var number = value.ValueKind == JsonValueKind.Number ? value.GetSingle() : float.NaN;
                    flat[(i * Observation.Width) + j] = float.IsFinite(number)
                        ? number
                        : throw new ModelLoadException(path, $"rows[{i}][{j}] is not a finite number");
                    j++;
                }

                i++;
            }

            var source = root.TryGetProperty("source", out var s) ? s.GetString() ?? "" : "";
            return new BackgroundSet(flat, count, source, path, ModelDirectoryLoader.Sha256Of(path));
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new ModelLoadException(path, "not a background set: " + ex.Message.Split('\n', 2)[0]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(path, "cannot be read: " + ex.Message);
        }
    }

    /// <summary>Writes <paramref name="rows"/> (flat) as a background set.</summary>
    public static void Write(string directory, ReadOnlySpan<float> rows, string source)
    {
        var list = new List<float[]>(rows.Length / Observation.Width);
        for (var i = 0; i + Observation.Width <= rows.Length; i += Observation.Width)
        {
            list.Add(rows.Slice(i, Observation.Width).ToArray());
        }

        File.WriteAllText(
            System.IO.Path.Combine(directory, FileName),
            JsonSerializer.Serialize(
                new Dictionary<string, object>
                {
                    ["feature_layout"] = ModelManifest.DefaultFeatureLayout,
                    ["source"] = source,
                    ["rows"] = list,
                }
            ) + "\n"
        );
    }
}
