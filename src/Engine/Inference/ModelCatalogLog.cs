namespace Inference.Streaming.Engine.Inference;

/// <summary>The model catalog's source-generated log messages (the 5000 band, inference).</summary>
internal static partial class ModelCatalogLog
{
    [LoggerMessage(
        5000,
        LogLevel.Information,
        "Model set {Generation} loaded: {Count} models from {Directory} in {Milliseconds:F0} ms"
    )]
    public static partial void ModelsLoaded(
        ILogger logger,
        long generation,
        int count,
        string directory,
        double milliseconds
    );

    [LoggerMessage(5001, LogLevel.Error, "Model {Name} refused: {Path}: {Reason}")]
    public static partial void ModelRefused(ILogger logger, string name, string path, string reason);

    [LoggerMessage(5002, LogLevel.Error, "Model reload failed; the previous set keeps serving")]
    public static partial void ReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(
        5006,
        LogLevel.Error,
        "Model reload of {Directory} refused, the current set keeps serving: {Reason}"
    )]
    public static partial void ReloadRefused(ILogger logger, string directory, string reason);

    [LoggerMessage(
        5003,
        LogLevel.Warning,
        "Models promoted (promotion {Promotions}): the champion is now {Champion} ({ChampionSet}), "
            + "the challenger {Challenger} ({ChallengerSet})"
    )]
    public static partial void ModelsPromoted(
        ILogger logger,
        int promotions,
        string champion,
        string championSet,
        string challenger,
        string challengerSet
    );
}
