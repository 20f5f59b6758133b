using Inference.Streaming.Engine.Validation;

namespace Inference.Streaming.Engine.Inference;

/// <summary>Model directory in the seed layout (<c>Models:*</c>; env <c>MODEL_DIR</c> overrides the
/// directory).</summary>
public sealed class ModelOptions
{
    public const string Section = "Models";

    /// <summary>The seed's environment variable for the directory; it wins over <c>Models:Directory</c>.</summary>
    public const string SeedDirectoryVariable = "MODEL_DIR";

    /// <summary>64 MiB: the seed's checkpoints are under 1 MiB, with optimizer state about 3 MiB.</summary>
    public const long DefaultMaxFileBytes = 64L * 1024 * 1024;

    [System.ComponentModel.DataAnnotations.Required(
        AllowEmptyStrings = false,
        ErrorMessage = "Models:Directory must name a directory."
    )]
    public string Directory { get; set; } = "models";

    /// <summary>Checkpoints larger than this are refused before they are read (nor hashed).</summary>
    [System.ComponentModel.DataAnnotations.Range(
        1024L,
        long.MaxValue,
        ErrorMessage = "Models:MaxFileBytes must be at least 1024."
    )]
    public long MaxFileBytes { get; set; } = DefaultMaxFileBytes;

    /// <summary>
    /// Reload when the directory's files change: their names, sizes, times and link targets are
    /// looked at every second (<see cref="ModelCatalog.PollInterval"/>), so a directory deleted and
    /// copied back, or a symlink swapped to a new directory, is seen as well as an edited file.
    /// </summary>
    public bool WatchForChanges { get; set; } = true;

    /// <summary>
    /// How long one model file may take to load before it is refused by name (a file on a hung
    /// mount, or a special file swapped in after it was checked); the reload goes on without it.
    /// </summary>
    [TimeSpanRange("00:00:00.001", "01:00:00", ErrorMessage = "Models:LoadTimeout must be between 1 ms and 1 hour.")]
    public TimeSpan LoadTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Quiet period after the last file change before a reload starts.</summary>
    [TimeSpanRange("00:00:00", "01:00:00", ErrorMessage = "Models:ReloadDebounce must be between 0 and 1 hour.")]
    public TimeSpan ReloadDebounce { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether a TorchScript module (<c>best_model.pt</c>) may load. A TorchScript file carries code as well as
    /// weights: the code runs in the worker's process with its rights, limited to the operators libtorch has.
    /// <c>Pinned</c> (the default) loads one only when the model's <c>manifest.json</c> names its SHA-256, so only
    /// a file someone has vouched for runs; <c>Allowed</c> loads any; <c>Refused</c> loads none.
    /// </summary>
    public TorchScriptLoading TorchScript { get; set; } = TorchScriptLoading.Pinned;

    /// <summary>The challenger's model set (<c>Models:Challenger:*</c>), for <c>Experiments:*</c>.</summary>
    public ChallengerModelOptions Challenger { get; set; } = new();
}

/// <summary>A second model directory in the same layout as the champion's, loaded, warmed, validated and
/// hot-reloaded the same way (<c>Models:Challenger:Directory</c>); unset, there is no challenger.</summary>
public sealed class ChallengerModelOptions
{
    public string? Directory { get; set; }
}

/// <summary><c>Models:TorchScript</c>: which TorchScript modules may load.</summary>
public enum TorchScriptLoading
{
    /// <summary>Only a module whose SHA-256 its model's manifest names.</summary>
    Pinned,

    /// <summary>Any module.</summary>
    Allowed,

    /// <summary>None: a <c>best_model.pt</c> is refused by name.</summary>
    Refused,
}
