using Inference.Streaming.Engine.Inference;
using Inference.Streaming.PredictApi;
using Inference.Streaming.Worker.Serving;

namespace Inference.Streaming.Worker.Hosting;

/// <summary>Registers the model layer: device, loader, catalog (loaded and warmed at start-up), engine.</summary>
public static class InferenceHostExtensions
{
    public static WebApplicationBuilder AddInferenceModels(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ModelOptions>().BindConfiguration(ModelOptions.Section)
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                // MODEL_DIR is the seed's variable; it wins over Models:Directory.
                if (configuration["MODEL_DIR"] is { Length: > 0 } directory)
                {
                    options.Directory = directory;
                }
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<InferenceOptions>().BindConfiguration(InferenceOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TorchDevice>();
        services.AddSingleton<ModelDirectoryLoader>();
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<IModelCatalog>(sp => sp.GetRequiredService<ModelCatalog>());
        services.AddHostedService(sp => sp.GetRequiredService<ModelCatalog>());
        services.AddSingleton<IModelCatalogView, ModelCatalogView>();
        services.AddSingleton<InferenceEngine>();
        services.AddSingleton<IHealthFacts, ModelHealthFacts>();
        services.AddHealthChecks().AddCheck<ModelHealthCheck>("models", tags: [HealthApi.ReadyTag]);
        return builder;
    }
}
