using Confluent.SchemaRegistry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>A topic this process writes Avro to, named from the settings; a null name is a topic these settings do
/// not write.</summary>
public sealed record WrittenTopic(Func<KafkaOptions, string?> Name);

/// <summary>
/// With <c>SchemaRegistry:AutoRegisterSchemas</c> false, nothing is registered and every Avro producer writes
/// under its subject's latest registered schema: a subject this process writes (<c>{topic}-value</c>) that the
/// registry lacks stops the start, naming it, instead of failing the first record of that topic.
/// </summary>
public sealed class RegisteredSchemaCheck(
    IEnumerable<WrittenTopic> topics,
    ISchemaRegistryClient registry,
    IOptions<SchemaRegistryOptions> options,
    IOptions<KafkaOptions> kafka
) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.AutoRegisterSchemas)
        {
            return;
        }

        var missing = new List<string>();
        foreach (
            var subject in topics
                .Select(t => t.Name(kafka.Value))
                .OfType<string>()
                .Select(name => name + "-value")
                .Distinct(StringComparer.Ordinal)
        )
        {
            try
            {
                await registry.GetLatestSchemaAsync(subject);
            }
            catch (SchemaRegistryException ex)
                when (ex.ErrorCode is 40401 or 404 || ex.Status == System.Net.HttpStatusCode.NotFound)
            {
                missing.Add(subject);
            }
        }

        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                "SchemaRegistry:AutoRegisterSchemas is false and the registry has no schema under "
                    + string.Join(", ", missing)
                    + ": register the project's schemas (schemas/*.avsc) under those subjects first, or set it true."
            );
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class WrittenTopics
{
    /// <summary>Declares topics this process writes Avro to, checked by <see cref="RegisteredSchemaCheck"/>.</summary>
    public static IServiceCollection AddWrittenTopics(
        this IServiceCollection services,
        params Func<KafkaOptions, string>[] names
    )
    {
        foreach (var name in names)
        {
            services.AddSingleton(new WrittenTopic(name));
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RegisteredSchemaCheck>());
        return services;
    }
}
