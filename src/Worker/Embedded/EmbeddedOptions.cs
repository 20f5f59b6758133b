using System.ComponentModel.DataAnnotations;
using Inference.Streaming.Engine.Validation;

namespace Inference.Streaming.Worker.Embedded;

/// <summary>The embedded broker and registry (<c>Embedded:*</c>), used when <c>Kafka:BootstrapServers</c> is
/// empty.</summary>
public sealed class EmbeddedOptions
{
    public const string Section = "Embedded";

    [Range(1, 9)]
    public int Brokers { get; set; } = 3;

    /// <summary>
    /// How long the embedded broker keeps a record, for every topic without its own
    /// <c>Kafka:Topics:*:Config:retention.ms</c>; <c>00:00:00</c> keeps records until the broker's
    /// own limit (5 MiB or 100,000 message sets per partition), which removes them unannounced.
    /// The broker's cost per fetch grows with what a partition holds, so this also bounds its CPU.
    /// </summary>
    [TimeSpanRange("00:00:00", "7.00:00:00", ErrorMessage = "Embedded:Retention must be between 0 and 7 days.")]
    public TimeSpan Retention { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Port of the embedded Schema Registry on 127.0.0.1; 0 picks a free one.</summary>
    [Range(0, 65535)]
    public int SchemaRegistryPort { get; set; }

    /// <summary>
    /// <c>user:password</c>: the embedded registry answers only requests with these HTTP basic-auth
    /// credentials (401 otherwise), as a production registry does; this process's own clients get
    /// them as <c>SchemaRegistry:Client:*</c>. Unset, it needs none.
    /// </summary>
    [RegularExpression("^[^:]+:.+$", ErrorMessage = "Embedded:SchemaRegistryUserInfo must be user:password.")]
    public string? SchemaRegistryUserInfo { get; set; }
}
