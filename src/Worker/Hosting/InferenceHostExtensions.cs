using Inference.Streaming.Engine;
using Inference.Streaming.PredictApi;
using Inference.Streaming.Worker.Experiments;
using Inference.Streaming.Worker.Serving;

namespace Inference.Streaming.Worker.Hosting;

/// <summary>Registers the model layer (device, loader, catalog loaded and warmed at start-up) and its views for the API
/// and health.</summary>
public static class InferenceHostExtensions
{
    public static WebApplicationBuilder AddInferenceModels(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddModelCatalog();
        services.AddExperiments();
        services.AddSingleton<IModelCatalogView, ModelCatalogView>();
        services.AddSingleton<IHealthFacts, ModelHealthFacts>();
        services.AddHealthChecks().AddCheck<ModelHealthCheck>("models", tags: [HealthApi.ReadyTag]);
        return builder;
    }
}
