using Inference.Streaming.Contracts.Rest;

namespace Inference.Streaming.PredictApi;

/// <summary>What the API shows of the host's model catalog; null before the first load.</summary>
public interface IModelCatalogView
{
    ModelsResponse? Describe();

    /// <summary>Reloads every instance's model directories; answers with this instance's result.</summary>
    /// <exception cref="ModelsReloadFailedException">This instance's reload was refused or failed.</exception>
    /// <exception cref="ControlUnavailableException">The command could not be issued or applied in time.</exception>
    Task<ModelsResponse> ReloadAsync(CancellationToken cancellationToken);

    /// <summary>Swaps champion and challenger on every instance; the same call again rolls back.</summary>
    /// <exception cref="InvalidOperationException">There is no loaded challenger to promote.</exception>
    /// <exception cref="ControlUnavailableException">The command could not be issued or applied in time.</exception>
    Task<ModelsResponse> PromoteAsync(CancellationToken cancellationToken);
}
