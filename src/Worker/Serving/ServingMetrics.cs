using System.Diagnostics.Metrics;
using Inference.Streaming.Worker.Diagnostics;

namespace Inference.Streaming.Worker.Serving;

/// <summary>The REST path's own metrics, on the pipeline's meter (so they export beside the stream's).</summary>
public sealed class ServingMetrics
{
    private static readonly KeyValuePair<string, object?>[] Sources = [new("source", "model"), new("source", "memory")];

    private readonly Counter<long> _scores;

    public ServingMetrics(IMeterFactory meters) =>
        _scores = meters
            .Create(PipelineMetrics.MeterName)
            .CreateCounter<long>(
                "inference_rest_scores",
                "{row}",
                "REST predictions scored, by source: model (a forward) or memory (the same bar, plan and models "
                    + "answered before)"
            );

    /// <summary>A REST prediction's model output came from a forward (<paramref name="fromMemory"/> false) or was
    /// remembered.</summary>
    public void Scored(bool fromMemory, int rows = 1) => _scores.Add(rows, fromMemory ? Sources[1] : Sources[0]);
}
