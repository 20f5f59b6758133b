namespace Inference.Streaming.Engine.Inference;

/// <summary>One model's raw output for one row (for forensics): probabilities HOLD, BUY, SELL and value.</summary>
public sealed record ModelRowOutput(string Model, string Sha256, float[] Probabilities, float Value);
