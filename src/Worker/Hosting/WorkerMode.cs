namespace Inference.Streaming.Worker.Hosting;

/// <summary>What this process runs.</summary>
public enum WorkerMode
{
    /// <summary>The worker and HTTP facade (embedded broker and registry too, unless a cluster is
    /// configured).</summary>
    Worker,

    /// <summary>Only the embedded broker and registry, for several worker processes and for tests.</summary>
    Broker,

    /// <summary>The regime detector service: consumes market-ticks, publishes regime-updates.</summary>
    Regimes,

    /// <summary>Prints the usage and exits.</summary>
    Help,
}
