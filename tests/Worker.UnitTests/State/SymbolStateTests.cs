using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Worker.UnitTests.State;

public sealed class SymbolStateTests
{
    private static readonly RegimeState Bull = RegimeState.FromProbabilities(0.6, 0.1, 0.3);
    private static readonly RegimeState Bear = RegimeState.FromProbabilities(0.1, 0.6, 0.3);

    [Fact]
    public void ARegimeAppliesToBarsEndingAfterItsEventTimeWhateverTheArrivalOrder()
    {
        var early = new SymbolState("X", 60_000, 100_000);
        var late = new SymbolState("X", 60_000, 100_000);
        early.AddRegime(120_000, Bear);
        early.AddRegime(60_000, Bull);
        late.AddRegime(60_000, Bull);
        late.AddRegime(120_000, Bear);

        early.ApplyRegimesBefore(60_000);
        late.ApplyRegimesBefore(60_000);
        Assert.Equal(RegimeState.Prior, early.Regime);
        Assert.Equal(RegimeState.Prior, late.Regime);

        early.ApplyRegimesBefore(120_000);
        late.ApplyRegimesBefore(120_000);
        Assert.Equal(Bull, early.Regime);
        Assert.Equal(Bull, late.Regime);

        early.ApplyRegimesBefore(180_000);
        Assert.Equal(Bear, early.Regime);
        Assert.Empty(early.HeldRegimes);
    }
}
