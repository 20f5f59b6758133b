namespace Inference.Streaming.Worker.Embedded.SchemaRegistry;

/// <summary>One version of a schema under a subject.</summary>
public sealed record RegisteredSchema(string Subject, int Version, int Id, string Schema);
