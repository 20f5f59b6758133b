using System.Globalization;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Features;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Risk;

/// <summary>
/// The seed's risk limits against a symbol's paper portfolio, evaluated for the position after the
/// proposed trade. Each check passes, warns (from <see cref="RiskOptions.WarningThreshold"/> of its
/// limit) or fails; any failure rejects the trade. Every symbol has its own paper portfolio, so a
/// sector's exposure is the symbol's own position unless the sector map groups symbols, and
/// grouping across portfolios is left to the order router.
/// </summary>
public sealed class RiskChecker(IOptions<RiskOptions> options)
{
    /// <summary>
    /// The action the risk checks let through: a failed check turns BUY/SELL into HOLD. HOLD is
    /// never checked (<paramref name="assessment"/> is null then).
    /// </summary>
    public TradeAction Gate(TradeAction proposed, double price, PaperPortfolio portfolio, out RiskAssessment? assessment)
    {
        assessment = proposed == TradeAction.HOLD ? null : Assess(proposed, price, portfolio);
        return assessment is { Approved: false } ? TradeAction.HOLD : proposed;
    }

    public RiskAssessment Assess(TradeAction action, double price, PaperPortfolio portfolio)
    {
        var limits = options.Value;
        var value = portfolio.ValueAt(price);
        var sharesAfter = action switch
        {
            TradeAction.BUY => portfolio.Shares + portfolio.SharesToBuy(price),
            TradeAction.SELL => 0.0,
            _ => portfolio.Shares,
        };
        var exposure = value > 0 ? sharesAfter * price / value : double.PositiveInfinity;
        var dayLoss = portfolio.DayOpenValue > 0 ? Math.Max(0.0, (portfolio.DayOpenValue - value) / portfolio.DayOpenValue) : 0.0;

        var warnings = new List<string>();
        var position = Check("position_limit", exposure, limits.PositionLimit, "position would be {0:P1} of portfolio value", warnings);
        var concentration = Check("concentration", exposure, limits.ConcentrationLimit, "sector exposure would be {0:P1} of portfolio value", warnings);
        var dailyLoss = Check("daily_loss_limit", dayLoss, limits.DailyLossLimit, "the day's loss is {0:P2} of its opening value", warnings);
        var leverage = Check("leverage", exposure, limits.MaxLeverage, "leverage would be {0:F2}x", warnings);
        return new RiskAssessment(position, concentration, dailyLoss, leverage, warnings);
    }

    private RiskCheckStatus Check(string name, double measure, double limit, string format, List<string> warnings)
    {
        var text = string.Format(CultureInfo.InvariantCulture, format, measure);
        if (measure > limit)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: {text} (limit {limit})"));
            return RiskCheckStatus.FAIL;
        }

        if (measure >= limit * options.Value.WarningThreshold && measure > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: {text} (warning at {limit * options.Value.WarningThreshold}, limit {limit})"));
            return RiskCheckStatus.WARNING;
        }

        return RiskCheckStatus.PASS;
    }
}
