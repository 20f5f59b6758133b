namespace Inference.Streaming.Engine.Inference;

/// <summary>Per row of one <see cref="InferenceEngine.Run"/>: who decides it, what each model returned, and what
/// failed.</summary>
internal sealed class RowScoring(int rows)
{
    public int Rows { get; } = rows;

    public string?[] DecidedBy { get; } = new string?[rows];

    public List<ModelRowOutput>?[] Outputs { get; } = new List<ModelRowOutput>?[rows];

    public bool[] Fallback { get; } = new bool[rows];

    public string?[] Reason { get; } = new string?[rows];

    public System.Text.StringBuilder?[] Detail { get; } = new System.Text.StringBuilder?[rows];

    public void Fail(int row, string reason, string detail)
    {
        Reason[row] = reason;
        var text = Detail[row] ??= new System.Text.StringBuilder();
        text.Append(text.Length > 0 ? "; " : string.Empty).Append(detail);
    }
}
