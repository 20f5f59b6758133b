using System.Globalization;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Engine.Risk;

/// <summary>
/// The seed's risk limits against a symbol's paper portfolio, evaluated for the position after the
/// proposed trade. Each check passes, warns (from <see cref="RiskOptions.WarningThreshold"/> of its
/// limit) or fails; any failure rejects the trade. Concentration measures the sector's share of the
/// book's value after the trade (<see cref="SectorBook"/>); for a symbol <c>Risk:Sectors</c> does
/// not name, the book is its own account, so it measures the symbol's own position.
/// </summary>
public sealed class RiskChecker(IOptions<RiskOptions> options)
{
    /// <summary>
    /// The action the risk checks let through: a failed check turns BUY/SELL into HOLD. HOLD is
    /// never checked (<paramref name="assessment"/> is null then).
    /// </summary>
    public TradeAction Gate(
        TradeAction proposed,
        double price,
        PaperPortfolio portfolio,
        out RiskAssessment? assessment,
        SectorBook book = default
    )
    {
        assessment = proposed == TradeAction.HOLD ? null : Assess(proposed, price, portfolio, book);
        return assessment is { Approved: false } ? TradeAction.HOLD : proposed;
    }

    public RiskAssessment Assess(TradeAction action, double price, PaperPortfolio portfolio, SectorBook book = default)
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
        var dayLoss =
            portfolio.DayOpenValue > 0 ? Math.Max(0.0, (portfolio.DayOpenValue - value) / portfolio.DayOpenValue) : 0.0;

        var warnings = new List<string>();
        var position = Check(
            "position_limit",
            exposure,
            limits.PositionLimit,
            "position would be {0:P1} of portfolio value",
            warnings
        );
        var concentration = book.Sector is null
            ? Check(
                "concentration",
                exposure,
                limits.ConcentrationLimit,
                "sector exposure would be {0:P1} of portfolio value",
                warnings
            )
            : Check(
                "concentration",
                SectorShare(sharesAfter * price, value, book),
                limits.ConcentrationLimit,
                "sector "
                    + book.Sector.Replace("{", "{{", StringComparison.Ordinal)
                        .Replace("}", "}}", StringComparison.Ordinal)
                    + " would be {0:P1} of the book's value",
                warnings,
                // A sale only lowers the sector's share: it may warn about the book, never be blocked by it.
                canFail: action != TradeAction.SELL
            );
        var dailyLoss = Check(
            "daily_loss_limit",
            dayLoss,
            limits.DailyLossLimit,
            "the day's loss is {0:P2} of its opening value",
            warnings
        );
        var leverage = Check("leverage", exposure, limits.MaxLeverage, "leverage would be {0:F2}x", warnings);
        return new RiskAssessment(position, concentration, dailyLoss, leverage, warnings);
    }

    /// <summary>The sector's positions over the book's value, the symbol's own position as it would be after the
    /// trade.</summary>
    public static double SectorShare(double ownPositionAfter, double ownValue, SectorBook book)
    {
        var bookValue = ownValue + book.PeerBookValue;
        return bookValue > 0 ? (ownPositionAfter + book.PeerPositionValue) / bookValue : double.PositiveInfinity;
    }

    private RiskCheckStatus Check(
        string name,
        double measure,
        double limit,
        string format,
        List<string> warnings,
        bool canFail = true
    )
    {
        var text = string.Format(CultureInfo.InvariantCulture, format, measure);
        if (measure > limit && canFail)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: {text} (limit {limit})"));
            return RiskCheckStatus.FAIL;
        }

        if (measure >= limit * options.Value.WarningThreshold && measure > 0)
        {
            warnings.Add(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{name}: {text} (warning at {limit * options.Value.WarningThreshold}, limit {limit})"
                )
            );
            return RiskCheckStatus.WARNING;
        }

        return RiskCheckStatus.PASS;
    }
}
