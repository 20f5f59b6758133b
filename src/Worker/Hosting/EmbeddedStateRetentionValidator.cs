using Inference.Streaming.Worker.Embedded;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Hosting;

/// <summary>
/// A worker on the embedded broker needs its state changelog kept long enough: every symbol's
/// snapshot is rewritten within <c>State:RefreshInterval</c>, so the changelog must keep at least
/// that long, with room to spare, or a restart could lose symbols. Registered only for the worker
/// on its own embedded broker; a worker elsewhere (beside the <c>broker</c> command) checks what it
/// finds when it restores.
/// </summary>
public sealed class EmbeddedStateRetentionValidator(IOptions<KafkaOptions> kafka, IOptions<StateOptions> state)
    : IValidateOptions<EmbeddedOptions>
{
    public ValidateOptionsResult Validate(string? name, EmbeddedOptions options)
    {
        var stateTopic = kafka.Value.Topics.InferenceState;
        var needed = 2 * (state.Value.RefreshInterval + state.Value.CheckpointInterval);
        return
            EmbeddedRetention.Resolve(options, kafka.Value).FirstOrDefault(t => t.Item1 == stateTopic)
                is { Item1: not null } kept
            && kept.Item2 < needed
            ? ValidateOptionsResult.Fail(
                $"The embedded broker keeps {stateTopic.Name} for {kept.Item2}, less than twice "
                    + "State:RefreshInterval plus State:CheckpointInterval "
                    + $"({state.Value.RefreshInterval} + {state.Value.CheckpointInterval}): a restart could lose "
                    + "symbols whose newest snapshot was removed. "
                    + "Raise Embedded:Retention (or the topic's retention.ms) or lower State:RefreshInterval."
            )
            : ValidateOptionsResult.Success;
    }
}
