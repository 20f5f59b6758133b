namespace Inference.Streaming.Worker.Kafka;

/// <summary>Delivery guarantee of the consume–transform–produce loop (docs/design.md, Delivery).</summary>
public enum DeliveryMode
{
    AtLeastOnce,
    ExactlyOnce,
}
