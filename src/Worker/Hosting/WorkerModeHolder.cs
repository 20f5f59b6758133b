namespace Inference.Streaming.Worker.Hosting;

/// <summary>The <see cref="WorkerMode"/> of this process, as a service.</summary>
public sealed record WorkerModeHolder(WorkerMode Mode);
