using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Risk;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Fleet;

/// <summary>
/// With a sector map the book is aligned by bar boundaries: a partition reports a boundary once its event time has
/// passed it by <c>Features:LateTolerance</c>, and bars of a partition must close in bar-end order. Both hold only
/// while the tolerance is shorter than a bar; with a longer one, partitions would wait for each other's next bars.
/// </summary>
public sealed class BookSettingsValidator(IOptions<FeatureOptions> features) : IValidateOptions<RiskOptions>
{
    public ValidateOptionsResult Validate(string? name, RiskOptions options) =>
        options.Sectors.Count > 0 && features.Value.LateTolerance >= features.Value.BarInterval
            ? ValidateOptionsResult.Fail(
                $"Risk:Sectors needs Features:LateTolerance ({features.Value.LateTolerance}) shorter than "
                    + $"Features:BarInterval ({features.Value.BarInterval}): the whole book is aligned by bar "
                    + "boundaries, which a partition passes one late tolerance after them."
            )
            : ValidateOptionsResult.Success;
}
