using System.ComponentModel.DataAnnotations;

namespace Inference.Streaming.Worker.Embedded;

/// <summary>The embedded broker and registry (<c>Embedded:*</c>), used when <c>Kafka:BootstrapServers</c> is empty.</summary>
public sealed class EmbeddedOptions
{
    public const string Section = "Embedded";

    [Range(1, 9)]
    public int Brokers { get; set; } = 3;

    /// <summary>Port of the embedded Schema Registry on 127.0.0.1; 0 picks a free one.</summary>
    [Range(0, 65535)]
    public int SchemaRegistryPort { get; set; }
}
