using Inference.Streaming.Contracts.Rest;

namespace Inference.Streaming.PredictApi.FunctionalTests;

/// <summary>
/// A stand-in for the host's prediction service, for testing the endpoint's status mapping alone:
/// the symbol names the outcome.
/// </summary>
internal sealed class FakePredictions : IPredictionService
{
    public static PredictResponse Response(string symbol, bool approved) =>
        new(
            "5b8f3c0e-8a5d-5c1e-9a51-2f9e6f2b7c11",
            symbol,
            "BUY",
            0.7,
            12,
            new RegimeProbabilitiesDto(0.6, 0.1, 0.3, 0.9),
            new StrategyWeightsDto(0.54, 0.15, 0.31),
            new RiskValidationDto(
                approved,
                approved
                    ? []
                    : ["position_limit: position would be 31.0% of portfolio value (limit 0.25)", "leverage: fine"],
                new RiskChecksDto(approved ? "pass" : "fail", "warning", "pass")
            ),
            new PredictMetadata("bull_specialist", 0.42, DateTimeOffset.UnixEpoch) { ModelSet = "set-0123456789ab" }
        );

    public Task<PredictionResult> PredictAsync(
        string symbol,
        PredictRequest request,
        CancellationToken cancellationToken
    ) =>
        Task.FromResult(
            symbol switch
            {
                "RISK" => new PredictionResult(
                    PredictionOutcome.RiskRejected,
                    Response(symbol, approved: false),
                    "BUY for RISK fails risk checks"
                ),
                "NOTREADY" => PredictionResult.Fail(PredictionOutcome.ModelsNotReady, "Models are still loading."),
                "NOSTATE" => PredictionResult.Fail(PredictionOutcome.NoState, "no state"),
                "OLD" => PredictionResult.Fail(
                    PredictionOutcome.TimestampOutsideState,
                    "timestamp must fall inside the bars held"
                ),
                "ODD" => PredictionResult.Fail(PredictionOutcome.UnknownStrategy, "Unknown strategy_override"),
                _ => new PredictionResult(PredictionOutcome.Ok, Response(symbol, approved: true)),
            }
        );
}
