using System.ComponentModel.DataAnnotations;

namespace Inference.Streaming.Worker.Experiments;

/// <summary>How the challenger (<c>Models:Challenger:Directory</c>) takes part in the stream.</summary>
public enum ExperimentMode
{
    /// <summary>The champion decides alone; a configured challenger is only loaded (and can be promoted).</summary>
    Off,

    /// <summary>The challenger decides every bar beside the champion, on its own paper portfolio; its decisions go to
    /// <c>trading-decisions.shadow</c>, never to the order router.</summary>
    Shadow,

    /// <summary>Symbols are split between the arms by a sticky hash; each arm's decisions are live.</summary>
    AB,
}

/// <summary>A champion/challenger experiment (<c>Experiments:*</c>).</summary>
public sealed class ExperimentOptions : IValidatableObject
{
    public const string Section = "Experiments";

    public ExperimentMode Mode { get; set; } = ExperimentMode.Off;

    /// <summary>Names the experiment in every record it marks, and seeds the A/B split: a new id reshuffles the
    /// symbols.</summary>
    [RegularExpression(
        "^[A-Za-z0-9._-]{1,64}$",
        ErrorMessage = "Experiments:Id must be 1 to 64 letters, digits, '.', '_' or '-'."
    )]
    public string? Id { get; set; }

    /// <summary>The share of symbols the challenger decides in A/B mode.</summary>
    [Range(0.0, 1.0, ErrorMessage = "Experiments:ChallengerShare must be between 0 and 1.")]
    public double ChallengerShare { get; set; } = 0.5;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Mode != ExperimentMode.Off && string.IsNullOrEmpty(Id))
        {
            yield return new ValidationResult(
                $"Experiments:Mode {Mode} needs Experiments:Id, which names the experiment in its records.",
                [nameof(Id)]
            );
        }
    }
}
