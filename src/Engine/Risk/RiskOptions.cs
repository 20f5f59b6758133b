using System.ComponentModel.DataAnnotations;
using Inference.Streaming.Engine.Validation;

namespace Inference.Streaming.Engine.Risk;

/// <summary>Risk limits (<c>Risk:*</c>); defaults are the seed risk manager's.</summary>
public sealed class RiskOptions : IValidatableObject
{
    public const string Section = "Risk";

    /// <summary>Largest position value after the trade, as a fraction of portfolio value.</summary>
    [Range(0.0, 10.0)]
    public double PositionLimit { get; set; } = 0.25;

    /// <summary>Largest sector exposure as a fraction of portfolio value.</summary>
    [Range(0.0, 10.0)]
    public double ConcentrationLimit { get; set; } = 0.50;

    /// <summary>Largest loss since the day's first bar, as a fraction of the day's opening value.</summary>
    [Range(0.0, 1.0)]
    public double DailyLossLimit { get; set; } = 0.02;

    [Range(0.0, 100.0)]
    public double MaxLeverage { get; set; } = 1.5;

    /// <summary>A check warns from this fraction of its limit on.</summary>
    [Range(0.0, 1.0)]
    public double WarningThreshold { get; set; } = 0.8;

    /// <summary>
    /// Optional symbol → sector map for the concentration check. The symbols it names form one book, the
    /// whole fleet's (the positions table); a symbol it does not name is its own sector and its own book.
    /// </summary>
    public Dictionary<string, string> Sectors { get; set; } = [];

    /// <summary>
    /// How long a mapped symbol's bar waits in the decision stage for the other input partitions' positions as of
    /// the boundary before it; past it the decision goes ahead with what has arrived, and says which partitions it
    /// lacked (forensics <c>book_missing</c>, a metric, a warning). Longer than a failover: a partition whose worker
    /// died is decided again by another once the group has moved it.
    /// </summary>
    [TimeSpanRange("00:00:00", "01:00:00", ErrorMessage = "Risk:BookAlignmentTimeout must be between 0 and 1 hour.")]
    public TimeSpan BookAlignmentTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (symbol, sector) in Sectors)
        {
            if (Contracts.Validation.SymbolName.Normalise(symbol) is null)
            {
                yield return new ValidationResult(
                    $"Risk:Sectors: '{symbol}' is not a symbol ({Contracts.Validation.SymbolName.Rule})."
                );
            }

            if (string.IsNullOrWhiteSpace(sector))
            {
                yield return new ValidationResult(
                    $"Risk:Sectors:{symbol} is empty: name a sector, or remove the entry."
                );
            }
        }

        foreach (
            var twice in Sectors
                .Keys.GroupBy(Contracts.Validation.SymbolName.Normalise)
                .Where(g => g.Key is not null && g.Count() > 1)
        )
        {
            yield return new ValidationResult(
                $"Risk:Sectors names {twice.Key} more than once ({string.Join(", ", twice)})."
            );
        }
    }
}
