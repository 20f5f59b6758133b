using Inference.Streaming.Engine.Regimes;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Inference.Streaming.Worker.Regimes;

public static class RegimeServiceExtensions
{
    /// <summary>Registers <c>Regimes:*</c>, the detector catalog and the stream's regime source.</summary>
    public static IServiceCollection AddRegimes(this IServiceCollection services)
    {
        services
            .AddOptions<RegimeOptions>()
            .BindConfiguration(RegimeOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RegimeDetectorCatalog>();
        services.TryAddSingleton<StreamRegimes>();
        services.TryAddSingleton<IRegimeDetectorSource>(sp => sp.GetRequiredService<StreamRegimes>());
        return services;
    }
}

/// <summary>Loads the stream's detector at start, so one that cannot be loaded stops the start with its
/// reason instead of failing the first bar.</summary>
public sealed class RegimeDetectorStartup(StreamRegimes regimes) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        regimes.EnsureLoaded();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
