using Confluent.SchemaRegistry;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// The one way every command builds its Schema Registry client: the URL, then every
/// <c>SchemaRegistry:Client:*</c> key as Confluent names it (basic auth, TLS), so a registry that
/// needs credentials is reached the same way by the worker, the regime service and the forensics
/// commands.
/// </summary>
public static class SchemaRegistryClients
{
    public static CachedSchemaRegistryClient Create(string url, SchemaRegistryOptions options)
    {
        var config = new SchemaRegistryConfig { Url = url };
        foreach (var (key, value) in options.Client)
        {
            config.Set(key, value);
        }

        return new CachedSchemaRegistryClient(config);
    }

    /// <summary>How every Avro producer of the project serializes: registering its schema
    /// (<c>SchemaRegistry:AutoRegisterSchemas</c> true) or with the subject's latest registered one.</summary>
    public static Confluent.SchemaRegistry.Serdes.AvroSerializerConfig SerializerConfig(
        SchemaRegistryOptions options
    ) => new() { AutoRegisterSchemas = options.AutoRegisterSchemas, UseLatestVersion = !options.AutoRegisterSchemas };
}
