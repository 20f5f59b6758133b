using Inference.Streaming.Contracts.Rest;

namespace Inference.Streaming.PredictApi;

/// <summary>What the API shows of the host's model catalog; null before the first load.</summary>
public interface IModelCatalogView
{
    ModelsResponse? Describe();

    Task<ModelsResponse> ReloadAsync(CancellationToken cancellationToken);

    /// <summary>Swaps champion and challenger; the same call again rolls back.</summary>
    /// <exception cref="InvalidOperationException">There is no loaded challenger to promote.</exception>
    ModelsResponse Promote();
}
