namespace Inference.Streaming.Engine.Features;

/// <summary>The seed's 43-float observation (docs/design.md, The observation).</summary>
public static class Observation
{
    public const int Width = 43;
    public const string Layout = "seed-43";

    public static readonly IReadOnlyList<string> FeatureNames = BuildNames();

    /// <summary>Builds the observation from the portfolio and indicators, then NaN → 0, +∞ → 1, −∞ → −1, as
    /// float32.</summary>
    public static void Compute(PaperPortfolio portfolio, Indicators indicators, Span<float> destination)
    {
        Span<double> raw = stackalloc double[Width];
        portfolio.Write(raw, indicators.LastClose);
        indicators.Write(raw);
        for (var i = 0; i < Width; i++)
        {
            destination[i] = (float)Sanitize(raw[i]);
        }
    }

    public static double Sanitize(double value) =>
        double.IsNaN(value) ? 0.0
        : double.IsPositiveInfinity(value) ? 1.0
        : double.IsNegativeInfinity(value) ? -1.0
        : value;

    private static string[] BuildNames()
    {
        var names = new List<string>
        {
            "cash_ratio",
            "position_ratio",
            "portfolio_return",
            "rsi_14",
            "macd",
            "macd_signal",
            "atr_14",
            "bollinger_percent_b",
            "volume_ratio",
            "return_1",
            "return_5",
            "return_20",
            "sma20_above_sma50",
        };
        for (var i = Indicators.Returns; i >= 1; i--)
        {
            names.Add($"return_lag_{i}");
        }

        return [.. names];
    }
}
