using System.ComponentModel.DataAnnotations;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Validation;

namespace Inference.Streaming.Worker.Regimes;

/// <summary>Where the worker's regimes come from (<c>Regimes:*</c>).</summary>
public sealed class RegimeOptions
{
    public const string Section = "Regimes";

    /// <summary><see cref="RegimeSource.Topic"/>: read <c>regime-updates</c> (a regime service or the demo feed
    /// writes them). <see cref="RegimeSource.Detector"/>: compute each symbol's regime from its own closed bars
    /// with <see cref="Detector"/>; no regime topic is read.</summary>
    public RegimeSource Source { get; set; } = RegimeSource.Topic;

    /// <summary><c>rules</c> (the seed's table, built in) or the name of a parameter file listed in
    /// <see cref="Directory"/>'s manifest (<c>probabilistic</c> ships).</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Regimes:Detector must name a detector.")]
    public string Detector { get; set; } = GaussianRegimeDetector.DefaultName;

    /// <summary>Detector parameter files and their manifest.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Regimes:Directory must name a directory.")]
    public string Directory { get; set; } = Path.Combine("models", "regimes");

    /// <summary>Reload the detector when its directory changes (a file that fails its checks keeps the previous
    /// detector running).</summary>
    public bool WatchForChanges { get; set; } = true;

    /// <summary>The <c>regimes</c> service's consumer group on <c>market-ticks</c>.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Regimes:GroupId must name a consumer group.")]
    public string GroupId { get; set; } = "inference-regime-detector";

    /// <summary>Quiet period after the last file change before a reload.</summary>
    [TimeSpanRange("00:00:00", "01:00:00", ErrorMessage = "Regimes:ReloadDebounce must be 0 to 1 hour.")]
    public TimeSpan ReloadDebounce { get; set; } = TimeSpan.FromSeconds(1);
}

public enum RegimeSource
{
    Topic,
    Detector,
}
