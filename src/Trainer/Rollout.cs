namespace Inference.Streaming.Trainer;

/// <summary>One rollout, flattened to rows (step-major): what an update trains on.</summary>
public sealed class Rollout(int rows, int width)
{
    public int Rows { get; } = rows;

    public int Width { get; } = width;

    public float[] Observations { get; } = new float[rows * width];

    public long[] Actions { get; } = new long[rows];

    public float[] LogProbabilities { get; } = new float[rows];

    public float[] Advantages { get; } = new float[rows];

    public float[] Returns { get; } = new float[rows];

    /// <summary>Mean reward per step, for progress reports.</summary>
    public double MeanReward { get; set; }

    /// <summary>Episodes that ended in this rollout and their mean total reward.</summary>
    public int Episodes { get; set; }

    public double MeanEpisodeReward { get; set; }
}
