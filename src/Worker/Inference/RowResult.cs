namespace Inference.Streaming.Worker.Inference;

/// <summary>The final scores of one row and the outputs of every model that contributed.</summary>
public sealed record RowResult(double[] Probabilities, double Value, string DecidedBy, IReadOnlyList<ModelRowOutput> Outputs);
