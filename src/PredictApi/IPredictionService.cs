using Inference.Streaming.Contracts.Rest;

namespace Inference.Streaming.PredictApi;

/// <summary>Answers a validated predict request from the host's in-memory state.</summary>
public interface IPredictionService
{
    PredictionResult Predict(string symbol, PredictRequest request, CancellationToken cancellationToken);
}
