namespace Inference.Streaming.Worker.Embedded.SchemaRegistry;

/// <summary>Schema Registry compatibility levels, spelled as on the wire.</summary>
public enum CompatibilityLevel
{
    NONE,
    BACKWARD,
    BACKWARD_TRANSITIVE,
    FORWARD,
    FORWARD_TRANSITIVE,
    FULL,
    FULL_TRANSITIVE,
}
