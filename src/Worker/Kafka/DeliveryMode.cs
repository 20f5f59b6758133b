namespace Inference.Streaming.Worker.Kafka;

/// <summary>Delivery guarantee of the consume–transform–produce loop (DESIGN.md section 7).</summary>
public enum DeliveryMode
{
    AtLeastOnce,
    ExactlyOnce,
}
