using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.PredictApi;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>Against a real cluster nothing is embedded.</summary>
public sealed class NotEmbeddedEnvironmentSource : IEmbeddedEnvironmentSource
{
    public EmbeddedEnvironment? Current => null;
}
