namespace Inference.Streaming.PredictApi;

/// <summary>The seed's health facts, from the host.</summary>
public interface IHealthFacts
{
    bool ModelLoaded { get; }

    bool GpuAvailable { get; }
}
