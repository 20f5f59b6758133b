namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>Operational output (<c>Diagnostics:*</c>).</summary>
public sealed class DiagnosticsOptions
{
    public const string Section = "Diagnostics";

    /// <summary>Period of the one-line stream summary; zero turns it off.</summary>
    public TimeSpan SummaryInterval { get; set; } = TimeSpan.FromSeconds(10);
}
