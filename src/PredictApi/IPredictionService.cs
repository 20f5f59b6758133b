using Inference.Streaming.Contracts.Rest;

namespace Inference.Streaming.PredictApi;

/// <summary>Answers a validated predict request from the host's in-memory state.</summary>
public interface IPredictionService
{
    Task<PredictionResult> PredictAsync(string symbol, PredictRequest request, CancellationToken cancellationToken);
}
