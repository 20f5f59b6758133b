using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.PredictApi;
using Inference.Streaming.Worker.Experiments;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Serving;

/// <summary>Shows the <see cref="ModelRoles"/> (the champion's catalog and the challenger's) to the HTTP API.</summary>
public sealed class ModelCatalogView(
    ModelRoles roles,
    IOptions<ExperimentOptions> experiments,
    Fleet.ClusterControl control
) : IModelCatalogView
{
    public ModelsResponse? Describe() =>
        Describe(roles.Current) is { } models
            ? models with
            {
                Control = new ControlDescription(control.Generation, control.LastError),
            }
            : null;

    private ModelsResponse? Describe(ModelRoles.Assignment assignment)
    {
        if (Describe(assignment.Champion) is not { } champion)
        {
            return null;
        }

        if (assignment.Challenger is not { } challenger)
        {
            return champion;
        }

        var options = experiments.Value;
        return champion with
        {
            Role = ExperimentArms.Champion,
            Challenger = (
                Describe(challenger)
                ?? new ModelsResponse(
                    new Dictionary<string, ModelDescription>(),
                    0,
                    [
                        new ModelErrorDescription(
                            "*",
                            challenger.Directory,
                            challenger.LastReloadError ?? "the challenger's models are still loading"
                        ),
                    ],
                    0,
                    challenger.Directory
                )
            ) with
            {
                Role = ExperimentArms.Challenger,
            },
            Experiment =
                options.Mode == ExperimentMode.Off
                    ? null
                    : new ExperimentDescription(
                        options.Mode.ToString().ToLowerInvariant(),
                        options.Id!,
                        options.ChallengerShare
                    ),
            Promotions = assignment.Promotions,
            PromotedAt = assignment.PromotedAt,
        };
    }

    private static ModelsResponse? Describe(ModelCatalog catalog)
    {
        if (!catalog.IsLoaded)
        {
            return null;
        }

        try
        {
            using var lease = catalog.Acquire();
            return Describe(lease.Set, catalog.LastReloadError);
        }
        catch (ModelsNotReadyException)
        {
            return null;
        }
    }

    /// <summary>Through the control topic, so every instance of the fleet applies it at the same point.</summary>
    public async Task<ModelsResponse> PromoteAsync(CancellationToken cancellationToken)
    {
        await control.PromoteAsync(cancellationToken);

        return Describe()!;
    }

    public async Task<ModelsResponse> ReloadAsync(CancellationToken cancellationToken)
    {
        try
        {
            await control.ReloadAsync(cancellationToken);
        }
        catch (ModelReloadException ex)
        {
            throw new ModelsReloadFailedException(ex.Message, Describe(), ex, ex.Refused);
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
