using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Fleet;

/// <summary>
/// This instance's name in the fleet (<c>metadata.served_by</c>, the control commands it issues): its static
/// group member id, else <c>Kafka:InstanceId</c>, else <c>{machine}-{process id}</c>.
/// </summary>
public sealed class InstanceName(GroupInstance group, IOptions<KafkaOptions> kafka)
{
    private readonly Lazy<string> _value = new(() =>
        group.Id
        ?? (string.IsNullOrWhiteSpace(kafka.Value.InstanceId) ? null : kafka.Value.InstanceId.Trim())
        ?? FormattableString.Invariant($"{Environment.MachineName}-{Environment.ProcessId}")
    );

    public string Value => _value.Value;

    /// <summary>This run of the instance: new at every start, unlike <see cref="Value"/>. The observation records
    /// this run writes carry it, so its own read model, which holds them already, skips them.</summary>
    public byte[] Run { get; } = Guid.NewGuid().ToByteArray();

    public override string ToString() => Value;
}
