namespace Inference.Streaming.Worker.Kafka;

/// <summary>Schema Registry connection (<c>SchemaRegistry:*</c>); ignored in embedded mode.</summary>
public sealed class SchemaRegistryOptions
{
    public const string Section = "SchemaRegistry";

    public string? Url { get; set; }

    /// <summary>Extra Confluent client settings, e.g. <c>schema.registry.basic.auth.user.info</c>.</summary>
    public Dictionary<string, string> Client { get; set; } = [];
}
