namespace Inference.Streaming.Engine.Features;

/// <summary>A fixed-capacity ring of doubles; index 0 is the oldest value kept.</summary>
public sealed class RollingWindow(int capacity)
{
    private readonly double[] _values = new double[capacity];
    private int _start;

    public int Count { get; private set; }

    public int Capacity => _values.Length;

    public double this[int index] => _values[(_start + index) % _values.Length];

    /// <summary>The value <paramref name="back"/> places before the newest (0 = newest).</summary>
    public double FromEnd(int back) => this[Count - 1 - back];

    public void Add(double value)
    {
        if (Count < _values.Length)
        {
            _values[(_start + Count) % _values.Length] = value;
            Count++;
        }
        else
        {
            _values[_start] = value;
            _start = (_start + 1) % _values.Length;
        }
    }

    /// <summary>Mean of the newest <paramref name="n"/> values, oldest first; NaN while fewer than n.</summary>
    public double Mean(int n)
    {
        if (Count < n)
        {
            return double.NaN;
        }

        var sum = 0.0;
        for (var i = Count - n; i < Count; i++)
        {
            sum += this[i];
        }

        return sum / n;
    }

    /// <summary>Sample standard deviation (n − 1) of the newest <paramref name="n"/> values; NaN while fewer than
    /// n.</summary>
    public double SampleStd(int n)
    {
        var mean = Mean(n);
        if (double.IsNaN(mean))
        {
            return double.NaN;
        }

        var sum = 0.0;
        for (var i = Count - n; i < Count; i++)
        {
            var d = this[i] - mean;
            sum += d * d;
        }

        return Math.Sqrt(sum / (n - 1));
    }

    public double[] ToArray()
    {
        var result = new double[Count];
        for (var i = 0; i < Count; i++)
        {
            result[i] = this[i];
        }

        return result;
    }

    public void Restore(ReadOnlySpan<double> oldestFirst)
    {
        _start = 0;
        Count = 0;
        foreach (var value in oldestFirst[Math.Max(0, oldestFirst.Length - _values.Length)..])
        {
            Add(value);
        }
    }
}
