using Inference.Streaming.Engine;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Trainer;

/// <summary>
/// What the trainer takes from the engine, composed as the worker composes it: a generic host with
/// the engine's registrations (<see cref="EngineServiceExtensions.AddDecisionEngine"/>), its options
/// bound from configuration (the environment, <c>--Features:BarInterval 00:01:00</c>-style
/// arguments) and validated. The decision rules gate every action as the worker's do, and bars are
/// <c>Features:BarInterval</c> long, as the worker's are.
/// </summary>
public sealed class TrainerEngine : IDisposable
{
    private readonly IHost _host;

    private TrainerEngine(IHost host)
    {
        _host = host;
        Rules = host.Services.GetRequiredService<DecisionFunction>();
        BarMs = (long)host.Services.GetRequiredService<IOptions<FeatureOptions>>().Value.BarInterval.TotalMilliseconds;
        Loader = host.Services.GetRequiredService<Engine.Inference.ModelDirectoryLoader>();
    }

    /// <summary>Loads checkpoints as the worker does, on the CPU.</summary>
    public Engine.Inference.ModelDirectoryLoader Loader { get; }

    public DecisionFunction Rules { get; }

    public long BarMs { get; }

    /// <summary>The engine with the settings in <paramref name="configurationArgs"/> (and the environment) over the
    /// defaults.</summary>
    /// <exception cref="OptionsValidationException">A setting is invalid; the message names it.</exception>
    public static TrainerEngine FromConfiguration(IReadOnlyList<string> configurationArgs)
    {
        // Only settings may pass through, as "--Section:Key value" or "--Section:Key=value" (the host's command-line
        // forms): a misspelt trainer option must not vanish into configuration.
        for (var i = 0; i < configurationArgs.Count; i++)
        {
            var token = configurationArgs[i];
            var inline = token.IndexOf('=', StringComparison.Ordinal);
            var key = inline < 0 ? token : token[..inline];
            if (
                !key.StartsWith("--", StringComparison.Ordinal)
                || !key.Contains(':', StringComparison.Ordinal)
                || (inline < 0 && ++i == configurationArgs.Count)
            )
            {
                throw new ArgumentException(
                    $"unknown option or setting without a value: '{token}' (settings go as --Section:Key value, e.g. "
                        + "--Features:BarInterval 00:01:00)"
                );
            }
        }

        var builder = Host.CreateApplicationBuilder(
            new HostApplicationBuilderSettings
            {
                Args = [.. configurationArgs],
                ContentRootPath = AppContext.BaseDirectory,
            }
        );
        builder.Logging.ClearProviders();
        builder.Services.AddDecisionEngine();
        builder.Services.AddModelLoading();
        // Scored as the worker scores by default (float64 compute), on the CPU the trainer trains on.
        builder.Services.PostConfigure<Engine.Inference.InferenceOptions>(inference => inference.Device = "cpu");
        var host = builder.Build();
        try
        {
            host.Services.ValidateOptionsNow();
            return new TrainerEngine(host);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    public void Dispose() => _host.Dispose();
}
