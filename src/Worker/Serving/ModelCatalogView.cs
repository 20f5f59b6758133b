using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.PredictApi;

namespace Inference.Streaming.Worker.Serving;

/// <summary>Shows the <see cref="ModelCatalog"/> to the HTTP API.</summary>
public sealed class ModelCatalogView(ModelCatalog catalog) : IModelCatalogView
{
    public ModelsResponse? Describe()
    {
        if (!catalog.IsLoaded)
        {
            return null;
        }

        using var lease = catalog.Acquire();
        return Describe(lease.Set, catalog.LastReloadError);
    }

    public async Task<ModelsResponse> ReloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await catalog.ReloadAsync(cancellationToken);
        }
        catch (ModelReloadException ex)
        {
            throw new ModelsReloadFailedException(ex.Message, Describe(), ex);
        }

        return Describe()!;
    }

    private static ModelsResponse Describe(ModelSet set, string? reloadError)
    {
        // Insertion order is the seed's order (bull, bear, sideways, universal); JSON keeps it.
        var models = new Dictionary<string, ModelDescription>(StringComparer.Ordinal);
        foreach (var info in ModelNames.All.Where(set.Models.ContainsKey).Select(name => set.Models[name].Info))
        {
            models[info.Name] = new ModelDescription(
                info.Name,
                info.Version,
                info.LoadedAt,
                info.Device,
                info.Parameters,
                info.Sha256,
                info.InputWidth,
                info.Format.ToString(),
                info.FeatureLayout
            );
        }

        return new ModelsResponse(
            models,
            models.Count,
            [
                .. set.Errors.Select(e => new ModelErrorDescription(e.Name, e.Path, e.Reason)),
                .. reloadError is null
                    ? []
                    : new[]
                    {
                        new ModelErrorDescription(
                            "*",
                            set.Directory,
                            "the last reload failed; this generation keeps serving: " + reloadError
                        ),
                    },
            ],
            set.Generation,
            set.Directory
        );
    }
}
