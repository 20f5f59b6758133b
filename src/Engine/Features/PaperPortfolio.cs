using Inference.Streaming.Contracts.Events;

namespace Inference.Streaming.Engine.Features;

/// <summary>
/// A symbol's paper portfolio, following the seed's training environment: BUY invests 1% of the
/// total value (capped by cash) at the close, paying 0.1% commission on top of the shares' cost;
/// SELL closes the whole position at the close, paying 0.1% commission out of the proceeds; HOLD
/// does nothing. It also tracks the value at the day's first bar for the daily loss limit.
/// </summary>
public sealed class PaperPortfolio(double initialCapital = PaperPortfolio.DefaultInitialCapital)
{
    public const double DefaultInitialCapital = 100_000;
    public const double Commission = 0.001;
    public const double BuyFraction = 0.01;
    private const long DayMs = 86_400_000;

    public double InitialCapital { get; private set; } = initialCapital;

    public double Cash { get; private set; } = initialCapital;

    public double Shares { get; private set; }

    /// <summary>UTC day (days since the epoch) of <see cref="DayOpenValue"/>; −1 before the first bar.</summary>
    public long Day { get; private set; } = -1;

    public double DayOpenValue { get; private set; } = initialCapital;

    public double ValueAt(double price) => Cash + (Shares * price);

    /// <summary>Observation indexes 0–2 at <paramref name="price"/>.</summary>
    public void Write(Span<double> observation, double price)
    {
        var value = ValueAt(price);
        observation[0] = value > 0 ? Cash / value : 1.0;
        observation[1] = value > 0 ? Shares * price / value : 0.0;
        observation[2] = (value / InitialCapital) - 1.0;
    }

    /// <summary>Starts a new day's loss accounting when <paramref name="barEndMs"/> falls on a later UTC day.</summary>
    public void MarkDay(long barEndMs, double price)
    {
        var day = Math.DivRem(barEndMs - 1, DayMs).Quotient;
        if (day != Day)
        {
            Day = day;
            DayOpenValue = ValueAt(price);
        }
    }

    /// <summary>Shares a BUY would add at <paramref name="price"/>.</summary>
    public double SharesToBuy(double price)
    {
        if (price <= 0)
        {
            return 0;
        }

        var amount = Math.Min(BuyFraction * ValueAt(price), Cash);
        return amount > 0 ? amount / (price * (1 + Commission)) : 0;
    }

    public void Apply(TradeAction action, double price)
    {
        switch (action)
        {
            case TradeAction.BUY:
                var shares = SharesToBuy(price);
                Cash -= shares * price * (1 + Commission);
                Shares += shares;
                break;
            case TradeAction.SELL when Shares > 0:
                Cash += Shares * price * (1 - Commission);
                Shares = 0;
                break;
        }
    }

    public void Restore(double initialCapital, double cash, double shares, long day, double dayOpenValue) =>
        (InitialCapital, Cash, Shares, Day, DayOpenValue) = (initialCapital, cash, shares, day, dayOpenValue);
}
