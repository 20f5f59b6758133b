using Inference.Streaming.Contracts.Rest;

namespace Inference.Streaming.PredictApi;

/// <summary>What the host tells the API about its embedded parts; null when it runs against a real cluster.</summary>
public interface IEmbeddedEnvironmentSource
{
    EmbeddedEnvironment? Current { get; }
}
