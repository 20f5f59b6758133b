namespace Inference.Streaming.Worker.Kafka;

/// <summary>Schema Registry connection (<c>SchemaRegistry:*</c>); ignored in embedded mode.</summary>
public sealed class SchemaRegistryOptions
{
    public const string Section = "SchemaRegistry";

    public string? Url { get; set; }

    /// <summary>Extra Confluent client settings, e.g. <c>schema.registry.basic.auth.user.info</c>.</summary>
    public Dictionary<string, string> Client { get; set; } = [];

    /// <summary>
    /// True (the default, and what the embedded registry expects): a producer registers its schema under the
    /// topic's subject. False, the norm on a production registry: the subject's latest registered schema is
    /// used, nothing is registered, and a subject this process writes that is missing stops the start.
    /// </summary>
    public bool AutoRegisterSchemas { get; set; } = true;
}
