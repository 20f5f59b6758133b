namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>
/// Source-generated log messages. Event-id bands: 1000 hosting, 2000 Kafka, 3000 embedded,
/// 4000 features, 5000 inference, 6000 risk, 7000 publishing.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Inference.Streaming {Mode} ready: kafka {Bootstrap}, registry {Registry}, api {Api}")]
    public static partial void Banner(ILogger logger, string mode, string bootstrap, string registry, string api);

    [LoggerMessage(2000, LogLevel.Information, "Created Kafka topics: {Topics}")]
    public static partial void TopicsCreated(ILogger logger, string topics);

    [LoggerMessage(3000, LogLevel.Information, "Embedded Kafka cluster at {Bootstrap}, Schema Registry at {Registry} (librdkafka from {Library})")]
    public static partial void EmbeddedStarted(ILogger logger, string bootstrap, string registry, string library);

    [LoggerMessage(5000, LogLevel.Information, "Model set {Generation} loaded: {Count} models from {Directory} in {Milliseconds:F0} ms")]
    public static partial void ModelsLoaded(ILogger logger, long generation, int count, string directory, double milliseconds);

    [LoggerMessage(5001, LogLevel.Error, "Model {Name} refused: {Path}: {Reason}")]
    public static partial void ModelRefused(ILogger logger, string name, string path, string reason);

    [LoggerMessage(5002, LogLevel.Error, "Model reload failed; the previous set keeps serving")]
    public static partial void ReloadFailed(ILogger logger, Exception exception);
}
