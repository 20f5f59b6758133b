using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Engine;

/// <summary>
/// The engine's registrations, shared by every composition root (the worker, <c>replay</c>,
/// <c>score</c> and the trainer): each options class is bound once from its section and validated
/// when the host starts (or when a command calls <see cref="Microsoft.Extensions.Options.IStartupValidator"/>).
/// </summary>
public static class EngineServiceExtensions
{
    /// <summary>Features, risk and inference options, and the decision rules (weights, risk checks,
    /// <see cref="DecisionFunction"/>).</summary>
    public static IServiceCollection AddDecisionEngine(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services
            .AddOptions<FeatureOptions>()
            .BindConfiguration(FeatureOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services
            .AddOptions<RiskOptions>()
            .BindConfiguration(RiskOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services
            .AddOptions<InferenceOptions>()
            .BindConfiguration(InferenceOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<IStrategyWeights, MetaControllerWeights>();
        services.TryAddSingleton<RiskChecker>();
        services.TryAddSingleton<SectorMap>();
        services.TryAddSingleton<DecisionFunction>();
        return services;
    }

    /// <summary>The model directory (<c>Models:*</c>; the seed's <c>MODEL_DIR</c> wins), the device and the checkpoint
    /// loader.</summary>
    public static IServiceCollection AddModelLoading(this IServiceCollection services)
    {
        services
            .AddOptions<ModelOptions>()
            .BindConfiguration(ModelOptions.Section)
            .PostConfigure<IConfiguration>(
                (options, configuration) =>
                {
                    if (configuration[ModelOptions.SeedDirectoryVariable] is { Length: > 0 } directory)
                    {
                        options.Directory = directory;
                    }
                }
            )
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services
            .AddOptions<InferenceOptions>()
            .BindConfiguration(InferenceOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TorchDevice>();
        services.TryAddSingleton<ModelDirectoryLoader>();
        return services;
    }

    /// <summary>
    /// Validates every options class registered with <c>ValidateOnStart</c> now, for a composition
    /// root that does not start its host (a one-shot command, the trainer).
    /// </summary>
    /// <exception cref="OptionsValidationException">Every failure, of every options class.</exception>
    public static void ValidateOptionsNow(this IServiceProvider services)
    {
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            var failures = ex
                .InnerExceptions.Cast<OptionsValidationException>()
                .SelectMany(e => e.Failures)
                .Distinct()
                .ToList();
            throw new OptionsValidationException(Options.DefaultName, typeof(object), failures);
        }
    }

    /// <summary>The model catalogs (the champion's and, when configured, the challenger's): loaded and warmed when the
    /// host starts, reloaded on change or request.</summary>
    public static IServiceCollection AddModelCatalog(this IServiceCollection services)
    {
        services.AddModelLoading();
        services.AddSingleton<ModelCatalog>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelCatalog>());
        // The challenger's catalog (Models:Challenger:Directory) starts after the champion's.
        services.AddSingleton<ModelRoles>();
        services.AddSingleton<IModelCatalog>(sp => sp.GetRequiredService<ModelRoles>());
        services.AddHostedService(sp => sp.GetRequiredService<ModelRoles>());
        return services;
    }
}
