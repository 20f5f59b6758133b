using System.Reflection;
using Confluent.Kafka;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.UnitTests.Kafka;

/// <summary>
/// A producer that records what it is given and answers as a test says: it may throw, as
/// librdkafka does for a message over <c>message.max.bytes</c>, or report a delivery error.
/// </summary>
public class FakeProducer : DispatchProxy
{
    public List<(string Topic, Message<byte[]?, byte[]> Message)> Produced { get; } = [];

    /// <summary>Decides each call: null delivers; otherwise the error, thrown when <c>Throw</c>, else
    /// reported.</summary>
    public Func<Message<byte[]?, byte[]>, (ErrorCode Code, bool Throw)?> Behaviour { get; set; } = _ => null;

    public static FakeProducer Create(out IProducer<byte[]?, byte[]> producer)
    {
        producer = Create<IProducer<byte[]?, byte[]>, FakeProducer>();
        return (FakeProducer)(object)producer;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        if (targetMethod?.Name != "Produce")
        {
            return targetMethod?.ReturnType is { IsValueType: true } type && type != typeof(void)
                ? Activator.CreateInstance(type)
                : null;
        }

        var topic = args![0] switch
        {
            string name => name,
            TopicPartition partition => partition.Topic,
            _ => throw new ArgumentException("topic"),
        };
        var message = (Message<byte[]?, byte[]>)args[1]!;
        var report = (Action<DeliveryReport<byte[]?, byte[]>>?)args[2];
        Produced.Add((topic, message));
        var outcome = Behaviour(message);
        if (outcome is { Throw: true } thrown)
        {
            throw new ProduceException<byte[]?, byte[]>(
                new Error(thrown.Code),
                new DeliveryResult<byte[]?, byte[]> { Message = message, Topic = topic }
            );
        }

        report?.Invoke(
            new DeliveryReport<byte[]?, byte[]>
            {
                Topic = topic,
                Message = message,
                Error = outcome is { } failed ? new Error(failed.Code) : new Error(ErrorCode.NoError),
            }
        );
        return null;
    }
}

/// <summary>Hands out one <see cref="FakeProducer"/>; no consumers.</summary>
public sealed class FakeKafkaClientFactory : IKafkaClientFactory
{
    private readonly IProducer<byte[]?, byte[]> _producer;

    public FakeKafkaClientFactory() => Producer = FakeProducer.Create(out _producer);

    public FakeProducer Producer { get; }

    public IProducer<byte[]?, byte[]> CreateProducer(
        string clientId,
        Action<ProducerBuilder<byte[]?, byte[]>>? configure = null
    ) => _producer;

    public IConsumer<byte[]?, byte[]> CreateConsumer(
        string clientId,
        string groupId,
        Action<ConsumerBuilder<byte[]?, byte[]>>? configure = null
    ) => throw new NotSupportedException();

    public IAdminClient CreateAdminClient(string clientId) => throw new NotSupportedException();

    public IConsumer<byte[]?, byte[]> CreateReader(string clientId) => throw new NotSupportedException();

    public int? MockClusterSessionTimeoutMs() => null;
}
