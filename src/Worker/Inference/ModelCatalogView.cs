using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.PredictApi;

namespace Inference.Streaming.Worker.Inference;

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

    private static ModelsResponse Describe(ModelSet set, string? reloadError) => new(
        [.. ModelNames.All.Where(set.Models.ContainsKey).Select(name => set.Models[name].Info).Select(i =>
            new ModelDescription(i.Name, i.Version, i.LoadedAt, i.Device, i.Parameters, i.Sha256, i.InputWidth, i.Format.ToString(), i.FeatureLayout))],
        [.. set.Errors.Select(e => new ModelErrorDescription(e.Name, e.Path, e.Reason)),
            .. reloadError is null ? [] : new[] { new ModelErrorDescription("*", set.Directory, "the last reload failed; this generation keeps serving: " + reloadError) }],
        set.Generation,
        set.Directory);
}
