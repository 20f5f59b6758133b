using Inference.Streaming.Engine;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Tools.Commands;

/// <summary>
/// The composition root of a one-shot command (<c>replay</c>, <c>export</c>, <c>score</c>): a generic
/// host with the worker's configuration sources (appsettings.json beside the binary, the
/// environment, <c>--Section:Key value</c> arguments) and the same registration extensions the
/// worker uses, its options validated before the command runs. No hosted service is started.
/// </summary>
public static class CommandHost
{
    /// <exception cref="OptionsValidationException">A setting is invalid; the message names it.</exception>
    public static IHost Build(IEnumerable<string> configurationArgs, Action<IServiceCollection> register)
    {
        var builder = Host.CreateApplicationBuilder(
            new HostApplicationBuilderSettings
            {
                Args = [.. configurationArgs],
                ContentRootPath = AppContext.BaseDirectory,
            }
        );

        // The command's own output is the report; the host's log lines would interleave with it.
        builder.Logging.ClearProviders();
        register(builder.Services);
        var host = builder.Build();
        try
        {
            host.Services.ValidateOptionsNow();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return host;
    }

    /// <summary>The worker's own Kafka and registry clients for a command that reads a cluster:
    /// <c>Kafka:Client:*</c> and <c>SchemaRegistry:Client:*</c> reach a secured cluster here as in the
    /// worker.</summary>
    public static IServiceCollection AddClusterClients(this IServiceCollection services)
    {
        services.AddKafkaOptions();
        services.AddSingleton<IKafkaEndpoints, ConfiguredKafkaEndpoints>();
        // A command joins no group: its group instance is never asked for an id.
        services.AddSingleton<GroupInstance>();
        services.AddSingleton<IKafkaClientFactory, KafkaClientFactory>();
        services.AddSingleton<Confluent.SchemaRegistry.ISchemaRegistryClient>(sp =>
            SchemaRegistryClients.Create(
                sp.GetRequiredService<IKafkaEndpoints>().SchemaRegistryUrl,
                sp.GetRequiredService<IOptions<SchemaRegistryOptions>>().Value
            )
        );
        return services;
    }
}
