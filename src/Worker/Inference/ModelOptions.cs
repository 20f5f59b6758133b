namespace Inference.Streaming.Worker.Inference;

/// <summary>Model directory in the seed layout (<c>Models:*</c>; env <c>MODEL_DIR</c> overrides the directory).</summary>
public sealed class ModelOptions
{
    public const string Section = "Models";

    public string Directory { get; set; } = "models";

    /// <summary>Reload when files in the directory change.</summary>
    public bool WatchForChanges { get; set; } = true;

    /// <summary>Quiet period after the last file change before a reload starts.</summary>
    public TimeSpan ReloadDebounce { get; set; } = TimeSpan.FromSeconds(1);
}
