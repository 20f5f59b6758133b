using Inference.Streaming.Engine.Inference;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Experiments;

public static class ExperimentServiceExtensions
{
    /// <summary>
    /// <c>Experiments:*</c>, validated at start (an experiment needs an id and a challenger directory), and the
    /// arms every part of the worker asks: the stream, predict, and the metrics.
    /// </summary>
    public static IServiceCollection AddExperiments(this IServiceCollection services)
    {
        services
            .AddOptions<ExperimentOptions>()
            .BindConfiguration(ExperimentOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddEnumerable(
            ServiceDescriptor.Singleton<IValidateOptions<ExperimentOptions>, ChallengerRequired>()
        );
        services.TryAddSingleton<ExperimentArms>();
        return services;
    }

    private sealed class ChallengerRequired(IOptions<ModelOptions> models) : IValidateOptions<ExperimentOptions>
    {
        public ValidateOptionsResult Validate(string? name, ExperimentOptions options) =>
            options.Mode != ExperimentMode.Off && string.IsNullOrEmpty(models.Value.Challenger.Directory)
                ? ValidateOptionsResult.Fail(
                    $"Experiments:Mode {options.Mode} needs a challenger: set Models:Challenger:Directory."
                )
                : ValidateOptionsResult.Success;
    }
}
