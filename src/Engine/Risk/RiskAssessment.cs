using Inference.Streaming.Contracts.Events;

namespace Inference.Streaming.Engine.Risk;

/// <summary>The outcome of the risk checks for one proposed trade.</summary>
public sealed record RiskAssessment(
    RiskCheckStatus PositionLimit,
    RiskCheckStatus Concentration,
    RiskCheckStatus DailyLossLimit,
    RiskCheckStatus Leverage,
    IReadOnlyList<string> Warnings
)
{
    public bool Approved =>
        PositionLimit != RiskCheckStatus.FAIL
        && Concentration != RiskCheckStatus.FAIL
        && DailyLossLimit != RiskCheckStatus.FAIL
        && Leverage != RiskCheckStatus.FAIL;

    public RiskResult ToContract() =>
        new()
        {
            approved = Approved,
            warnings = [.. Warnings],
            checks = new RiskChecks
            {
                position_limit = PositionLimit,
                concentration = Concentration,
                daily_loss_limit = DailyLossLimit,
                leverage = Leverage,
            },
        };
}
